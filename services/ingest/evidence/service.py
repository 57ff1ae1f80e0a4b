"""Evidence package use cases: create (with the footage put on hold), read, download, public key."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.cameras import repository as cameras
from services.ingest.evidence import metrics, repository
from services.ingest.evidence.models import EvidencePackage
from services.ingest.evidence.schemas import EvidencePackageIn, EvidencePackageOut
from services.ingest.evidence.signing import VARIABLE, EvidenceSigner
from services.ingest.recording import repository as recordings
from services.ingest.recording.models import Evidence
from services.ingest.recording.store import SegmentStore
from shared.db import after_commit
from shared.errors import ConflictError, ForbiddenError, InvalidInputError, RangeNotSatisfiableError, UnavailableError
from shared.identity import Caller
from shared.links import evidence_download_url
from shared.messages import EvidenceHoldRequested, EvidenceHoldsReleased

log = logging.getLogger("cityops.ingest.evidence")

# Packages live under their own top-level directory of the recordings root; segments are under
# ``<camera>/``, and a camera id starts with a letter or digit, so it can never be this name.
PACKAGES_DIR = "_evidence"


def package_path(package_id: uuid.UUID) -> str:
    """Where a package's ZIP is kept, relative to the recordings root (as stored in the database)."""
    return f"{PACKAGES_DIR}/{package_id}.zip"


def _out(row: EvidencePackage) -> EvidencePackageOut:
    out = EvidencePackageOut.model_validate(row)
    if row.status == "ready":
        out.download_url = evidence_download_url(str(row.id))
    return out


def _signer(signer: EvidenceSigner | None) -> EvidenceSigner:
    if signer is None:
        raise UnavailableError(f"evidence packages need a signing key: set {VARIABLE}_FILE")
    return signer


async def create_package(
    *,
    session: AsyncSession,
    package_in: EvidencePackageIn,
    caller: Caller,
    signer: EvidenceSigner | None,
    max_cameras: int,
    wake: Callable[[], Awaitable[None]],
) -> EvidencePackageOut:
    """Queue a package and put each camera's range on evidence hold in the same unit of work; the
    builder is woken once it is committed. Its footage is redacted unless the gateway vouches for the
    caller's raw footage."""
    _signer(signer)
    body = package_in
    if len(body.cameras) > max_cameras:
        raise InvalidInputError(f"a package holds at most {max_cameras} cameras", field="cameras")
    for camera in body.cameras:
        await cameras.get(session, camera)
        if not await recordings.spans_between(session, camera, body.start, body.end):
            raise RangeNotSatisfiableError(
                f"no footage of camera {camera} between {body.start.isoformat()} and {body.end.isoformat()}",
                camera=camera,
            )
    row = EvidencePackage(
        id=uuid.uuid4(), title=body.title, reason=body.reason, case_id=body.case_id, cameras=body.cameras,
        start_at=body.start, end_at=body.end, redacted=not caller.raw_footage, status="queued", progress=0.0,
        attempts=0, created_by=caller.name,
    )  # fmt: skip
    await repository.add(session, row)
    for camera in body.cameras:
        hold = Evidence(
            camera_id=camera, start_at=body.start, end_at=body.end, reason=f"evidence package {row.id}: {body.reason}",
            case_ref=body.case_id, created_by=caller.name, origin="package",
        )  # fmt: skip
        await recordings.add_evidence(session, hold)
    after_commit(session, wake)
    log.info(
        "evidence.package_created",
        extra={
            "package": str(row.id),
            "cameras": body.cameras,
            "case": body.case_id,
            "by": caller.name,
            "redacted": row.redacted,
        },
    )
    return _out(row)


async def get_package(*, session: AsyncSession, package_id: uuid.UUID) -> EvidencePackageOut:
    return _out(await repository.get(session, package_id))


@dataclass(frozen=True)
class Download:
    path: Path
    filename: str


async def download_package(
    *, session: AsyncSession, package_id: uuid.UUID, store: SegmentStore, caller: Caller
) -> Download:
    row = await repository.get(session, package_id)
    if not row.redacted and not caller.raw_footage:
        raise ForbiddenError(
            f"evidence package {package_id} holds raw footage: downloading it needs footage:raw and a reason"
        )
    if row.status != "ready" or row.path is None:
        raise ConflictError(f"evidence package {package_id} is {row.status}, not ready", package_status=row.status)
    path = store.resolve(row.path)
    if not path.is_file():
        raise UnavailableError(f"the ZIP of evidence package {package_id} is missing from the recordings volume")
    metrics.DOWNLOADS.inc()
    log.info("evidence.package_downloaded", extra={"package": str(row.id), "by": caller.name, "case": row.case_id})
    return Download(path, f"evidence-{row.id}.zip")


def public_key(*, signer: EvidenceSigner | None) -> str:
    return _signer(signer).public_pem


async def hold_range(*, session: AsyncSession, hold: EvidenceHoldRequested) -> None:
    """Keep footage another service asked for (footage attached to a case) until released."""
    if not await cameras.exists(session, hold.camera):
        # Nothing is recorded under an unknown id; the case keeps its link, which answers 404.
        log.warning("evidence.hold_unknown_camera", extra={"camera": hold.camera, "case": hold.case_ref})
        return
    added = await repository.add_hold(
        session,
        {
            "id": uuid.UUID(hold.hold_id), "camera_id": hold.camera, "start_at": hold.start, "end_at": hold.end,
            "reason": hold.reason, "case_ref": hold.case_ref, "created_by": hold.by,
            # Without a case there is nothing to lapse with: such a hold stays until released.
            "origin": "case" if hold.case_ref else "manual",
        },
    )  # fmt: skip
    if added:
        log.info("evidence.hold_added", extra={"camera": hold.camera, "case": hold.case_ref, "hold": hold.hold_id})


async def case_final(*, session: AsyncSession, release: EvidenceHoldsReleased) -> None:
    """Note that a case became final (or was reopened): its holds lapse ``case_evidence_keep_days`` after
    ``closed_at`` (the sweeper decides, so a restart loses nothing and the setting applies to all)."""
    if await repository.set_case_final(session, case_ref=release.case_ref, closed_at=release.closed_at, at=release.at):
        event = "evidence.case_reopened" if release.closed_at is None else "evidence.case_final"
        log.info(event, extra={"case": release.case_ref, "closed_at": release.closed_at, "by": release.by})
