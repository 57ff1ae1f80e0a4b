"""The forwarding table: which public path goes to which service, and who may read or write it.

Each entry names the permission for reading (GET) and for writing (POST/PUT/PATCH/DELETE); more
specific entries come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.gateway.audit import service as audit
from services.gateway.auth.policy import Permission as P
from services.gateway.proxy.upstream import Service

WRITE = ("POST", "PUT", "PATCH", "DELETE")


PUBLIC: Literal["public"] = "public"
# Any authenticated caller, whatever its permissions (DHIS2's system/info and me).
SIGNED_IN: Literal["signed_in"] = "signed_in"
Rule = P | Literal["public", "signed_in"] | None


@dataclass(frozen=True)
class Forward:
    """``read``/``write``: the permission needed, ``PUBLIC`` for anyone, ``SIGNED_IN`` for any authenticated
    caller, None for not offered."""

    public: str
    service: Service
    upstream: str
    tag: str
    read: Rule
    write: Rule
    subpaths: bool = True
    write_methods: tuple[str, ...] = WRITE
    # Read by <img>/<video> tags, which send no headers: the media cookie is accepted on GET.
    media: bool = False
    # Reads recorded in the audit log as this kind of access (audit.service.KINDS): a copy of
    # evidence or footage leaving the system, a snapshot seen.
    audited: str | None = None
    # Footage (a clip, an evidence package): sent or made unredacted only to a caller holding
    # ``footage:raw`` who gives a reason (``api.deps.footage_caller``).
    footage: bool = False
    # A JPEG kept by a service without the face model (an alert's snapshot): redacted by ingest on its
    # way to a caller without raw footage.
    redacted_by_ingest: bool = False
    # First segments under ``public`` that the gateway answers itself: never forwarded (404).
    reserved: tuple[str, ...] = ()


FORWARDS: tuple[Forward, ...] = (
    # ingest: evidence marking is for operators, the rest of camera management for admins
    Forward(
        "/api/v1/cameras/{camera}/evidence",
        "ingest",
        "/cameras/{camera}/evidence",
        "recording",
        P.CAMERAS_READ,
        P.EVIDENCE_WRITE,
        subpaths=False,
        write_methods=("POST",),
    ),
    Forward("/api/v1/evidence", "ingest", "/evidence", "recording", None, P.EVIDENCE_WRITE, write_methods=("DELETE",)),
    Forward(
        "/api/v1/cameras/{camera}/clip.mp4",
        "ingest",
        "/cameras/{camera}/clip.mp4",
        "recording",
        P.CAMERAS_READ,
        None,
        subpaths=False,
        media=True,
        audited=audit.CLIP_EXPORT,
        footage=True,
    ),
    # Evidence packages: anyone may verify (the public key); a copy goes only to who handles evidence.
    Forward(
        "/api/v1/evidence-packages/public-key",
        "ingest",
        "/evidence-packages/public-key",
        "evidence",
        PUBLIC,
        None,
        subpaths=False,
    ),
    Forward(
        "/api/v1/evidence-packages/{package_id}/download",
        "ingest",
        "/evidence-packages/{package_id}/download",
        "evidence",
        P.EVIDENCE_WRITE,
        None,
        subpaths=False,
        media=True,
        audited=audit.EVIDENCE_DOWNLOAD,
        footage=True,
    ),
    Forward(
        "/api/v1/evidence-packages",
        "ingest",
        "/evidence-packages",
        "evidence",
        P.CAMERAS_READ,
        P.EVIDENCE_WRITE,
        write_methods=("POST",),
        # A package is made redacted unless its maker holds footage:raw and gives a reason.
        footage=True,
    ),
    # analytics: which detector a camera runs is tuned with its rules (before the ingest camera routes)
    Forward(
        "/api/v1/cameras/{camera}/detector",
        "analytics",
        "/cameras/{camera}/detector",
        "rules",
        P.RULES_READ,
        P.RULES_WRITE,
        subpaths=False,
        write_methods=("PUT",),
    ),
    Forward("/api/v1/cameras", "ingest", "/cameras", "cameras", P.CAMERAS_READ, P.CAMERAS_WRITE),
    Forward("/api/v1/groups", "ingest", "/groups", "cameras", P.CAMERAS_READ, P.CAMERAS_WRITE),
    Forward("/api/v1/walls", "ingest", "/walls", "cameras", P.CAMERAS_READ, P.CAMERAS_WRITE),
    # analytics
    Forward("/api/v1/rules", "analytics", "/rules", "rules", P.RULES_READ, P.RULES_WRITE),
    Forward(
        "/api/v1/alerts/{alert_id}/snapshot.jpg",
        "analytics",
        "/alerts/{alert_id}/snapshot.jpg",
        "alerts",
        P.ALERTS_READ,
        None,
        subpaths=False,
        media=True,
        audited=audit.SNAPSHOT_VIEW,
        footage=True,
        redacted_by_ingest=True,
    ),
    Forward("/api/v1/alerts", "analytics", "/alerts", "alerts", P.ALERTS_READ, P.ALERTS_ACK),
    # Holding alerts back is an acknowledger's call; each creation and early end is audited as a write.
    Forward("/api/v1/snoozes", "analytics", "/snoozes", "alerts", P.ALERTS_READ, P.ALERTS_ACK),
    Forward("/api/v1/counts", "analytics", "/counts", "counts", P.ALERTS_READ, None),
    # Outage incidents are alerts (read-only); maintenance windows silence alerts, so they are set by
    # whoever tunes the rules (operators), read by whoever reads them.
    Forward("/api/v1/incidents", "analytics", "/incidents", "alerts", P.ALERTS_READ, None),
    Forward(
        "/api/v1/maintenance-windows",
        "analytics",
        "/maintenance-windows",
        "rules",
        P.RULES_READ,
        P.RULES_WRITE,
        write_methods=("POST", "DELETE"),
    ),
    # reports: department data
    Forward("/api/v1/departments", "reports", "/departments", "metadata", P.DATA_READ, P.METADATA_WRITE),
    Forward("/api/v1/indicators", "reports", "/indicators", "metadata", P.DATA_READ, P.METADATA_WRITE),
    Forward("/api/v1/forms", "reports", "/forms", "metadata", P.DATA_READ, P.METADATA_WRITE),
    Forward(
        "/api/v1/category-combos",
        "reports",
        "/category-combos",
        "metadata",
        P.DATA_READ,
        P.METADATA_WRITE,
        subpaths=False,
    ),
    Forward("/api/v1/datavalues", "reports", "/datavalues", "data", P.DATA_READ, P.DATA_WRITE),
    Forward("/api/v1/analytics", "reports", "/analytics", "data", P.DATA_READ, None),
    Forward("/api/v1/completeness", "reports", "/completeness", "data", P.DATA_READ, None),
    # A department officer's form entry: grids, drafts, submissions, uploads, history.
    Forward("/api/v1/entry", "reports", "/entry", "data", P.DATA_READ, P.DATA_WRITE, write_methods=("POST", "PUT")),
    # reports: the DHIS2 Web API (reports keeps its metadata read-only). A version segment
    # (/dhis2/api/40/...) is dropped before routing (middleware.py), so one rule covers both. As on
    # DHIS2, system/info and me are for anyone signed in; apiToken is the gateway's own (api/dhis2.py).
    Forward("/dhis2/api/system/info", "reports", "/dhis2/api/system/info", "dhis2", SIGNED_IN, None, subpaths=False),
    Forward("/dhis2/api/me", "reports", "/dhis2/api/me", "dhis2", SIGNED_IN, None),
    Forward("/dhis2/api", "reports", "/dhis2/api", "dhis2", P.DATA_READ, P.DATA_WRITE, reserved=("apiToken",)),
    # reports: cases and the rest
    Forward("/api/v1/cases", "reports", "/cases", "cases", P.CASES_READ, P.CASES_WRITE),
    Forward("/api/v1/categories", "reports", "/categories", "cases", P.CASES_READ, P.METADATA_WRITE),
    Forward(
        "/api/v1/directives/{directive_id}/progress",
        "reports",
        "/directives/{directive_id}/progress",
        "directives",
        P.CASES_READ,
        P.DIRECTIVES_PROGRESS,
        subpaths=False,
        write_methods=("POST",),
    ),
    Forward(
        "/api/v1/directives/{directive_id}/attachments",
        "reports",
        "/directives/{directive_id}/attachments",
        "directives",
        P.CASES_READ,
        P.DIRECTIVES_PROGRESS,
        write_methods=("POST",),
    ),
    Forward("/api/v1/directives", "reports", "/directives", "directives", P.CASES_READ, P.DIRECTIVES_WRITE),
    Forward("/api/v1/projects", "reports", "/projects", "projects", P.CASES_READ, P.PROJECTS_WRITE),
    Forward("/api/v1/satisfaction", "reports", "/satisfaction", "satisfaction", P.CASES_READ, None),
    Forward("/api/v1/ratings", "reports", "/ratings", "satisfaction", PUBLIC, PUBLIC),
    Forward("/open311/v2", "reports", "/open311/v2", "open311", PUBLIC, PUBLIC),
    # The public page's reports: filed with a photo, followed and rated by the tracking code.
    Forward("/public/v1/reports", "reports", "/public/v1/reports", "public", PUBLIC, PUBLIC, write_methods=("POST",)),
    # reports: map layers (GeoJSON), drawn by the public page and the map; loaded by administrators
    Forward("/api/v1/geo", "reports", "/geo", "geo", PUBLIC, P.GEO_MANAGE, write_methods=("PUT",)),
    # reports: tourism businesses
    Forward("/api/v1/businesses", "reports", "/businesses", "businesses", P.CASES_READ, P.BUSINESSES_WRITE),
    Forward("/public/v1/businesses", "reports", "/public/v1/businesses", "public", PUBLIC, None),
    # reports: outbound notifications (webhooks carry signing secrets; administrators only)
    Forward(
        "/api/v1/notifications",
        "reports",
        "/notifications",
        "notifications",
        P.NOTIFICATIONS_ADMIN,
        P.NOTIFICATIONS_ADMIN,
    ),
    # reports: data-subject requests and erasures; a lookup is a read of a person's contact details, so
    # reads are audited like the erasures themselves.
    Forward(
        "/api/v1/privacy/subjects",
        "reports",
        "/privacy/subjects",
        "privacy",
        P.PRIVACY_MANAGE,
        None,
        subpaths=False,
        audited=audit.SUBJECT_REQUEST,
    ),
    Forward(
        "/api/v1/privacy/erasures",
        "reports",
        "/privacy/erasures",
        "privacy",
        P.PRIVACY_MANAGE,
        P.PRIVACY_MANAGE,
        subpaths=False,
        write_methods=("POST",),
        audited=audit.SUBJECT_REQUEST,
    ),
)
