"""The authorization matrix, written by hand from what each kind of user of the center should be able to do.

It is deliberately NOT derived from ``ROLE_PERMISSIONS`` or the route table: the policy is checked
against this table on the whole running system (gateway + every service on real NATS and
PostgreSQL). A request that passes authorization must reach its service and get a real answer:
2xx, or a 4xx about the request itself (404 unknown id, 422 empty body). 401/403 where access is
expected, anything but 403 (401 for anonymous) where it is not, and any 5xx (a 503 above all) fail.

Actors: N anonymous, A admin, L leader, O operator, V viewer, D a department user of MX_A,
K a department API key of MX_A created with the default scopes, I an inspector of a tourism department
(the business registry and its complaints: no cameras, alerts or department data). The second table puts the
department users against their own and another department's data: MX_A sits under MX_P, MX_B apart,
and P is a department user of MX_P. T is a personal access token of D (``ApiToken d2pat_…``): it must
get what D gets everywhere, but make no further token.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
import pytest
from dhis2_client import DHIS2Client
from dhis2_client.errors import DHIS2HTTPError
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from pydantic import SecretStr
from starlette.routing import compile_path
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.e2e.conftest import System
from tests.support import TEST_JWT_KEYS, TEST_SERVICE_KEYS

DEPT = "MX_A"
TREE = (
    {"code": "MX_P", "name": "Parent"},
    {"code": DEPT, "name": "Child", "parent": "MX_P"},
    {"code": "MX_B", "name": "Apart"},
)
INDICATOR = {"code": "MX_N", "name": "Count", "value_type": "integer", "aggregation": "sum",
             "period_type": "monthly", "domain": "test"}  # fmt: skip
FORM = {"code": "MX_F", "name": "Form", "period_type": "monthly", "deadline_days": 5, "indicators": ["MX_N"],
        "departments": [DEPT, "MX_B"]}  # fmt: skip
ENTRY = {"period": "2025-09", "cells": [{"indicator": "MX_N", "value": "3"}]}
ACTORS = "NALOVDKI"
ALL_SIGNED_IN = "ALOVDKI"
DATA_READERS = "ALOVDK"  # department data and its catalogue: not the inspector
CITY = "ALOV"  # the center's own staff: every camera and city-wide figure
# Open311 answers bad input with 400, as GeoReport v2 says (the rest of the API with 422).
PASSED = {200, 201, 202, 204, 400, 404, 409, 422}
_NIL = str(uuid.UUID(int=0))

# (method, path, body, actors allowed). Bodies are empty on purpose: a write that passes
# authorization gets 422 from the owning service, which proves it got there.
MATRIX: list[tuple[str, str, dict[str, object] | None, str]] = [
    # who am I, users, keys, audit
    ("GET", "/api/v1/auth/me", None, ALL_SIGNED_IN),
    ("POST", "/api/v1/auth/session", None, "ALOVDI"),  # a media cookie is for a person's login, not a key
    ("GET", "/api/v1/users", None, "A"),
    ("POST", "/api/v1/users", {}, "A"),
    ("PATCH", "/api/v1/users/nobody-here", {}, "A"),
    ("GET", "/api/v1/api-keys", None, "A"),
    ("POST", "/api/v1/api-keys", {}, "A"),
    ("POST", f"/api/v1/api-keys/{_NIL}/rotate", None, "A"),
    ("DELETE", f"/api/v1/api-keys/{_NIL}", None, "A"),
    ("GET", "/api/v1/audit", None, "AL"),
    ("GET", "/api/v1/audit.csv?kind=contact.read&subject=0912345678", None, "AL"),
    # the city briefing: leaders, and the center's operators who prepare it
    ("GET", "/api/v1/briefings/2026-W49", None, "ALO"),
    ("GET", "/api/v1/briefings/2026-11.xlsx", None, "ALO"),
    ("GET", "/api/v1/briefings/2026-11.pdf", None, "ALO"),
    # personal access tokens: each person's own; an admin lists and revokes anyone's
    ("GET", "/api/v1/me/tokens", None, "ALOVDI"),
    ("POST", "/api/v1/me/tokens", {}, "ALOVDI"),
    ("DELETE", "/api/v1/me/tokens/no-such-token", None, "ALOVDI"),
    ("GET", "/api/v1/personal-access-tokens", None, "A"),
    ("DELETE", "/api/v1/personal-access-tokens/no-such-token", None, "A"),
    ("POST", "/dhis2/api/apiToken", {}, "ALOVDI"),
    ("GET", "/dhis2/api/apiToken/no-such-token", None, "ALOVDI"),
    ("DELETE", "/dhis2/api/apiToken/no-such-token", None, "ALOVDI"),
    # cameras, layouts, video and evidence: the center's staff; configuration by the admin
    ("GET", "/api/v1/cameras", None, CITY),
    ("POST", "/api/v1/cameras", {}, "A"),
    ("GET", "/api/v1/cameras/no-such-camera", None, CITY),
    ("DELETE", "/api/v1/cameras/no-such-camera", None, "A"),
    ("GET", "/api/v1/cameras/no-such-camera/snapshot.jpg", None, CITY),
    ("GET", "/api/v1/cameras/no-such-camera/evidence", None, CITY),
    ("POST", "/api/v1/cameras/no-such-camera/evidence", {}, "ALO"),
    ("GET", "/api/v1/groups", None, CITY),
    ("POST", "/api/v1/groups", {}, "A"),
    ("GET", "/api/v1/walls", None, CITY),
    ("POST", "/api/v1/walls", {}, "A"),
    # video analytics: operators tune rules; leaders and operators acknowledge alerts
    ("GET", "/api/v1/rules", None, CITY),
    ("POST", "/api/v1/rules", {}, "AO"),
    ("GET", "/api/v1/cameras/no-such-camera/detector", None, CITY),
    ("PUT", "/api/v1/cameras/no-such-camera/detector", {}, "AO"),
    ("GET", "/api/v1/alerts", None, CITY),
    ("POST", "/api/v1/alerts/999999/ack", {}, "ALO"),
    ("GET", "/api/v1/snoozes", None, CITY),
    ("POST", "/api/v1/snoozes", {}, "ALO"),
    ("DELETE", f"/api/v1/snoozes/{_NIL}", None, "ALO"),
    ("GET", "/api/v1/counts", None, CITY),
    ("GET", "/api/v1/incidents", None, CITY),
    ("GET", f"/api/v1/incidents/{_NIL}", None, CITY),
    ("GET", "/api/v1/maintenance-windows", None, CITY),
    ("POST", "/api/v1/maintenance-windows", {}, "AO"),
    ("DELETE", f"/api/v1/maintenance-windows/{_NIL}", None, "AO"),
    ("GET", "/api/v1/overview", None, CITY),
    # department data: every department reads the catalogue and pushes its own figures
    ("GET", "/api/v1/departments", None, DATA_READERS),
    ("POST", "/api/v1/departments", {}, "A"),
    ("GET", "/api/v1/indicators", None, DATA_READERS),
    ("POST", "/api/v1/indicators", {}, "A"),
    ("GET", "/api/v1/forms", None, DATA_READERS),
    ("POST", "/api/v1/forms", {}, "A"),
    ("GET", "/api/v1/category-combos", None, DATA_READERS),
    ("POST", "/api/v1/category-combos", {}, "A"),
    ("GET", "/api/v1/datavalues", None, DATA_READERS),
    ("POST", "/api/v1/datavalues", {}, "ADK"),
    ("GET", "/api/v1/completeness", None, DATA_READERS),
    ("GET", "/api/v1/completeness/due", None, DATA_READERS),
    ("GET", "/api/v1/entry/forms/no-such-form/grid?department=MX_A&period=2025-09", None, DATA_READERS),
    ("PUT", "/api/v1/entry/forms/no-such-form/draft", {}, "ADK"),
    ("POST", "/api/v1/entry/forms/no-such-form/submit", {}, "ADK"),
    ("POST", "/api/v1/entry/uploads", {}, "ADK"),
    ("GET", "/api/v1/entry/history", None, DATA_READERS),
    ("GET", "/api/v1/entry", None, DATA_READERS),
    ("GET", "/api/v1/entry/audit", None, DATA_READERS),
    ("GET", "/api/v1/analytics/aggregate", None, DATA_READERS),
    ("GET", "/dhis2/api/dataValueSets", None, DATA_READERS),
    ("GET", "/dhis2/api/40/dataValueSets", None, DATA_READERS),
    ("GET", "/dhis2/api/system/info", None, ALL_SIGNED_IN),
    ("GET", "/dhis2/api/me", None, ALL_SIGNED_IN),
    ("GET", "/dhis2/api/me/authorization", None, ALL_SIGNED_IN),
    ("GET", "/dhis2/api", None, DATA_READERS),
    ("POST", "/dhis2/api", {}, "ADK"),
    ("GET", "/dhis2/api/organisationUnits", None, DATA_READERS),
    ("GET", "/dhis2/api/dataElements.json", None, DATA_READERS),
    ("GET", "/dhis2/api/metadata", None, DATA_READERS),
    ("GET", "/dhis2/api/analytics", None, DATA_READERS),
    ("GET", "/dhis2/api/completeDataSetRegistrations", None, DATA_READERS),
    ("POST", "/dhis2/api/completeDataSetRegistrations", {}, "ADK"),
    ("GET", "/dhis2/api/system/tasks/DATAVALUE_IMPORT/no-such-job", None, DATA_READERS),
    ("POST", "/dhis2/api/dataValues", {}, "ADK"),
    # cases, directives, projects: people, not machines (a default key pushes data only)
    ("GET", "/api/v1/cases", None, "ALOVDI"),
    ("POST", "/api/v1/cases", {}, "ALODI"),
    ("GET", "/api/v1/cases/999999", None, "ALOVDI"),
    ("GET", "/api/v1/cases/999999/photos/1", None, "ALOVDI"),  # a photo sent with a public report
    # alerts whose rule suggests a case: camera alerts, so the center's staff; one click opens the case
    ("GET", "/api/v1/cases/suggestions", None, CITY),
    ("GET", "/api/v1/cases/breakdown?since=2026-11-01T00:00:00Z&until=2026-12-01T00:00:00Z", None, "ALOVDI"),
    ("POST", "/api/v1/cases/from-alert/no-such-alert", None, "ALO"),
    ("GET", "/api/v1/categories", None, "ALOVDI"),
    ("POST", "/api/v1/categories", {}, "A"),
    ("GET", "/api/v1/directives", None, "ALOVDI"),
    ("POST", "/api/v1/directives", {}, "AL"),
    ("POST", "/api/v1/directives/999999/progress", {}, "AD"),
    ("GET", "/api/v1/directives/999999/attachments", None, "ALOVDI"),
    ("POST", "/api/v1/directives/999999/attachments", {}, "AD"),
    ("GET", "/api/v1/directives/999999/attachments/1", None, "ALOVDI"),
    ("GET", "/api/v1/projects", None, "ALOVDI"),
    ("POST", "/api/v1/projects", {}, "AO"),
    ("GET", "/api/v1/satisfaction/summary", None, "ALOVDI"),
    ("GET", "/api/v1/businesses", None, "ALOVDI"),
    ("GET", "/api/v1/businesses/offenders?since=2026-11-01&until=2026-12-01", None, "ALOVDI"),
    ("POST", "/api/v1/businesses", {}, "AODI"),
    # the rest of each area's routes
    ("GET", "/api/v1/cameras/no-such-camera/mjpeg", None, CITY),
    ("WS", "/api/v1/live", {"op": "watch", "camera": "no-such-camera"}, CITY),  # as the MJPEG view
    ("GET", "/api/v1/cameras/no-such-camera/clip.mp4", None, CITY),
    ("GET", "/api/v1/cameras/no-such-camera/clip", None, CITY),
    ("GET", "/api/v1/alerts/999999/snapshot.jpg", None, CITY),
    ("DELETE", "/api/v1/evidence/999999", None, "ALO"),
    ("DELETE", "/api/v1/evidence", None, "ALO"),
    # evidence packages: made and copied out by who handles evidence (audited); anyone may verify one
    ("POST", "/api/v1/evidence-packages", {}, "ALO"),
    ("GET", f"/api/v1/evidence-packages/{_NIL}", None, CITY),
    ("GET", f"/api/v1/evidence-packages/{_NIL}/download", None, "ALO"),
    ("GET", "/api/v1/evidence-packages/public-key", None, ACTORS),
    ("POST", "/api/v1/cases/999999/clips", {}, "ALODI"),
    ("GET", "/api/v1/groups/no-such-group", None, CITY),
    ("GET", "/api/v1/walls/no-such-wall", None, CITY),
    ("GET", "/api/v1/rules/999999", None, CITY),
    ("GET", "/api/v1/counts/no-such-view", None, CITY),
    ("GET", "/api/v1/events", None, "ALOVD"),
    ("WS", "/api/v1/events/ws", None, "ALOVD"),
    ("GET", "/api/v1/departments/MX_A", None, DATA_READERS),
    ("GET", "/api/v1/indicators/MX_N", None, DATA_READERS),
    ("GET", "/api/v1/forms/no-such-form", None, DATA_READERS),
    ("GET", "/api/v1/datavalues/audit?indicator=MX_N&department=MX_A&period=2025-09", None, DATA_READERS),
    ("GET", "/api/v1/datavalues/traffic?department=MX_A", None, DATA_READERS),
    ("GET", "/api/v1/analytics", None, DATA_READERS),
    ("GET", "/api/v1/completeness/overdue", None, DATA_READERS),
    ("POST", "/dhis2/api/dataValueSets/no-such", {}, "ADK"),
    ("GET", "/api/v1/categories/no-such-category", None, "ALOVDI"),
    ("GET", "/api/v1/projects/999999", None, "ALOVDI"),
    ("GET", "/api/v1/satisfaction", None, "ALOVDI"),
    ("GET", "/api/v1/businesses/999999", None, "ALOVDI"),
    # outbound notifications: webhooks (signing secrets), contacts, the delivery log; administrators only
    ("GET", "/api/v1/notifications", None, "A"),
    ("GET", "/api/v1/notifications/webhooks", None, "A"),
    ("POST", "/api/v1/notifications/webhooks", {}, "A"),
    ("GET", f"/api/v1/notifications/webhooks/{_NIL}", None, "A"),
    ("PATCH", f"/api/v1/notifications/webhooks/{_NIL}", {}, "A"),
    ("DELETE", f"/api/v1/notifications/webhooks/{_NIL}", None, "A"),
    ("GET", "/api/v1/notifications/contacts", None, "A"),
    ("POST", "/api/v1/notifications/contacts", {}, "A"),
    ("GET", f"/api/v1/notifications/contacts/{_NIL}", None, "A"),
    ("PATCH", f"/api/v1/notifications/contacts/{_NIL}", {}, "A"),
    ("DELETE", f"/api/v1/notifications/contacts/{_NIL}", None, "A"),
    ("GET", "/api/v1/notifications/deliveries", None, "A"),
    ("POST", f"/api/v1/notifications/deliveries/{_NIL}/replay", None, "A"),
    # data-subject requests and erasures: everything held on one person, across departments; admin only
    ("GET", "/api/v1/privacy/subjects", None, "A"),
    ("GET", "/api/v1/privacy/erasures", None, "A"),
    ("POST", "/api/v1/privacy/erasures", {}, "A"),
    # map layers: loaded by the admin (geo:manage), drawn by anyone
    ("PUT", "/api/v1/geo/wards", {}, "A"),
    ("PUT", "/api/v1/geo/roads", {}, "A"),
    # public by design
    ("GET", "/", None, ACTORS),
    ("GET", "/healthz", None, ACTORS),
    ("GET", "/readyz", None, ACTORS),
    ("GET", "/metrics", None, ACTORS),
    ("POST", "/api/v1/auth/token", {}, ACTORS),
    ("POST", "/api/v1/auth/refresh", {}, ACTORS),  # the refresh token is the credential
    ("POST", "/api/v1/auth/logout", {}, ACTORS),
    ("GET", "/open311/v2", None, ACTORS),
    ("GET", "/api/v1/ratings", None, ACTORS),
    ("GET", "/public/v1/businesses/999999", None, ACTORS),
    ("GET", "/open311/v2/services.json", None, ACTORS),
    ("POST", "/open311/v2/requests.json", {}, ACTORS),
    ("POST", "/open311/v2/requests.xml", {}, ACTORS),
    ("GET", "/open311/v2/discovery.xml", None, ACTORS),
    ("GET", "/open311/v2/services.xml", None, ACTORS),
    ("GET", "/open311/v2/services/tourism_touting.json", None, ACTORS),
    ("GET", "/open311/v2/requests.xml", None, ACTORS),
    ("GET", "/open311/v2/requests/999999.xml", None, ACTORS),
    ("GET", "/open311/v2/tokens/no-such-token.json", None, ACTORS),
    ("GET", "/public/v1/businesses", None, ACTORS),
    ("GET", "/api/v1/ratings/no-such-token", None, ACTORS),
    ("GET", "/api/v1/config/map", None, ACTORS),  # the map's basemap, before login (no secret in it)
    ("GET", "/api/v1/geo", None, ACTORS),  # no layer named: 404 from reports
    ("GET", "/api/v1/geo/wards", None, ACTORS),
    ("GET", "/api/v1/geo/roads", None, ACTORS),
    ("GET", "/api/v1/geo/wards/lookup?lat=19.74&lon=105.9", None, ACTORS),
    # the public page's reports, followed and rated by the tracking code
    ("POST", "/public/v1/reports", {}, ACTORS),
    ("GET", "/public/v1/reports/AAAA-BBBB-CCCC", None, ACTORS),
    ("POST", "/public/v1/reports/AAAA-BBBB-CCCC/rating-link", None, ACTORS),
    ("GET", "/public/", None, ACTORS),
    ("GET", "/public", None, ACTORS),
]


@dataclass(frozen=True)
class Actors:
    headers: dict[str, dict[str, str]]
    # Ids of the department-owned things made for the second table, by owner: {"case": {"MX_A": 7, ...}}
    owned: dict[str, dict[str, int]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def actors(system: System) -> Actors:
    gw, admin = system.gateway, system.admin
    for body in TREE:
        r = httpx.post(gw + "/api/v1/departments", json=body, headers=admin)
        assert r.status_code == 201, r.text
    assert httpx.post(gw + "/api/v1/indicators", json=INDICATOR, headers=admin).status_code == 201
    assert httpx.post(gw + "/api/v1/forms", json=FORM, headers=admin).status_code == 201
    r = httpx.post(gw + "/api/v1/api-keys", json={"name": "matrix key", "departments": [DEPT]}, headers=admin)
    assert r.status_code == 201, r.text
    headers = {
        "N": {},
        "A": admin,
        "L": system.user("leader"),
        "O": system.user("operator"),
        "V": system.user("viewer"),
        "D": system.user("department", [DEPT]),
        "K": {"X-API-Key": r.json()["key"]},
        "P": system.user("department", ["MX_P"]),
        "I": system.user("inspector", ["QLTT"]),
    }
    made = httpx.post(gw + "/api/v1/me/tokens", json={"name": "matrix"}, headers=headers["D"])
    assert made.status_code == 201, made.text
    headers["T"] = {"Authorization": f"ApiToken {made.json()['key']}"}
    owned: dict[str, dict[str, int]] = {"case": {}, "directive": {}}
    deadline = (date.today() + timedelta(days=5)).isoformat()
    for department in (DEPT, "MX_B"):
        case = {"category": "tourism_price_gouging", "title": f"case of {department}", "description": "x",
                "source": "citizen"}  # fmt: skip
        created = httpx.post(gw + "/api/v1/cases", json=case, headers=admin)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        for to, extra in (("acknowledged", {}), ("assigned", {"department": department})):
            moved = httpx.post(gw + f"/api/v1/cases/{case_id}/transitions", json={"to": to, **extra}, headers=admin)
            assert moved.status_code == 200, moved.text
        owned["case"][department] = int(case_id)
        directive = {"title": f"to {department}", "departments": [department], "deadline": deadline}
        created = httpx.post(gw + "/api/v1/directives", json=directive, headers=admin)
        assert created.status_code == 201, created.text
        owned["directive"][department] = int(created.json()["id"])
        row = {"indicator": "MX_N", "department": department, "period": "2025-09", "value": 1}
        pushed = httpx.post(gw + "/api/v1/datavalues", json={"dataValues": [row]}, headers=admin)
        assert pushed.status_code == 200, pushed.text
    return Actors(headers, owned)


def _status(gateway: str, method: str, path: str, body: dict[str, object] | None, headers: dict[str, str]) -> int:
    if method == "WS":
        return _websocket_status(gateway, path, body, headers)
    with httpx.stream(method, gateway + path, json=body, headers=headers, timeout=20) as response:
        return response.status_code


def _expected_denial(actor: str) -> int:
    return 401 if actor == "N" else 403


def _websocket_status(gateway: str, path: str, command: dict[str, object] | None, headers: dict[str, str]) -> int:
    """A WebSocket's answer as an HTTP status: the refusal's close reason ("401 ...", "403 ..."), or 200
    when the command sent is answered."""
    with connect(gateway.replace("http://", "ws://") + path, additional_headers=headers) as ws:
        try:
            ws.send(json.dumps(command))
            ws.recv(timeout=20)
        except ConnectionClosed as closed:
            reason = closed.rcvd.reason if closed.rcvd else ""
            return int(reason.split()[0]) if reason[:3].isdigit() else 1000
    return 200


def test_the_matrix_names_known_actors_and_has_a_row_for_every_gateway_route() -> None:
    for method, path, _, allowed in MATRIX:
        assert set(allowed) <= set(ACTORS), (method, path, allowed)
    rowless = []
    settings = GatewaySettings(jwt_keys=SecretStr(TEST_JWT_KEYS), service_keys=SecretStr(TEST_SERVICE_KEYS))
    for context in iter_route_contexts(create_app(settings).routes):
        if isinstance(context.original_route, APIRoute | APIWebSocketRoute):
            template, _, _ = compile_path(context.path)
            if not any(template.match(path.split("?")[0]) for _, path, _, _ in MATRIX):
                rowless.append(context.path)
    assert rowless == [], f"gateway routes without a row in the matrix: {rowless}"


@pytest.mark.parametrize("actor", list(ACTORS))
def test_each_actor_gets_exactly_what_the_matrix_allows(system: System, actors: Actors, actor: str) -> None:
    wrong = []
    for method, path, body, allowed in MATRIX:
        status = _status(system.gateway, method, path, body, actors.headers[actor])
        ok = status in PASSED if actor in allowed else status == _expected_denial(actor)
        if not ok:
            expected = "passes" if actor in allowed else str(_expected_denial(actor))
            wrong.append(f"{method} {path}: {status}, expected {expected}")
    assert wrong == [], f"actor {actor}:\n" + "\n".join(wrong)


# What a personal access token may not do that its user may: make another token, or a media cookie
# (that is for a login's bearer token).
LOGIN_ONLY = {("POST", "/api/v1/me/tokens"), ("POST", "/dhis2/api/apiToken"), ("POST", "/api/v1/auth/session")}


def test_a_personal_access_token_gets_what_its_user_gets(system: System, actors: Actors) -> None:
    wrong = []
    for method, path, body, allowed in MATRIX:
        status = _status(system.gateway, method, path, body, actors.headers["T"])
        ok = status in PASSED if "D" in allowed and (method, path) not in LOGIN_ONLY else status == 403
        if not ok:
            wrong.append(f"{method} {path}: {status}, D's expected {'pass' if 'D' in allowed else 403}")
    assert wrong == [], "actor T:\n" + "\n".join(wrong)


def _push(department: str) -> dict[str, object]:
    return {"dataValues": [{"indicator": "MX_N", "department": department, "period": "2025-10", "value": 2}]}


# Department-owned data, own vs other department: (actor, method, path, body, expected status).
# "{case:MX_A}" is the id of the case assigned to MX_A. Another department's item is a 404 (its
# existence is not revealed); a write into another department's data is a 403.
OWNERSHIP: list[tuple[str, str, str, dict[str, object] | None, int]] = [
    ("D", "GET", "/api/v1/cases/{case:MX_A}", None, 200),
    ("D", "GET", "/api/v1/cases/{case:MX_B}", None, 404),
    ("D", "POST", "/api/v1/cases/{case:MX_A}/comments", {"comment": "on it"}, 201),
    ("D", "POST", "/api/v1/cases/{case:MX_B}/comments", {"comment": "mine?"}, 404),
    ("D", "POST", "/api/v1/cases/{case:MX_B}/transitions", {"to": "in_progress"}, 404),
    ("P", "GET", "/api/v1/cases/{case:MX_A}", None, 200),  # a parent sees its subtree
    ("P", "GET", "/api/v1/cases/{case:MX_B}", None, 404),
    ("K", "GET", "/api/v1/cases/{case:MX_A}", None, 403),  # a default key reads data, not cases
    ("O", "GET", "/api/v1/cases/{case:MX_B}", None, 200),  # the center's staff see the whole city
    ("D", "GET", "/api/v1/directives/{directive:MX_A}", None, 200),
    ("D", "GET", "/api/v1/directives/{directive:MX_B}", None, 404),
    ("D", "POST", "/api/v1/directives/{directive:MX_B}/progress", {"percent": 50}, 404),
    ("D", "POST", "/api/v1/directives/{directive:MX_A}/progress", {"percent": 50}, 200),
    ("D", "GET", "/api/v1/directives/{directive:MX_B}/attachments", None, 404),
    # form entry: another department's form is unknown; a parent reads its subtree's but files only its own
    ("D", "GET", "/api/v1/entry/forms/MX_F/grid?department=MX_A&period=2025-09", None, 200),
    ("D", "GET", "/api/v1/entry/forms/MX_F/grid?department=MX_B&period=2025-09", None, 404),
    ("D", "PUT", "/api/v1/entry/forms/MX_F/draft", {**ENTRY, "department": "MX_A"}, 200),
    ("D", "PUT", "/api/v1/entry/forms/MX_F/draft", {**ENTRY, "department": "MX_B"}, 404),
    ("P", "PUT", "/api/v1/entry/forms/MX_F/draft", {**ENTRY, "department": "MX_A"}, 403),
    # Rows for another department are refused in the import summary (409 naming the field); none is stored.
    ("D", "POST", "/api/v1/datavalues", _push("MX_B"), 409),
    # D's personal access token: D's departments, no more
    ("T", "GET", "/api/v1/cases/{case:MX_A}", None, 200),
    ("T", "GET", "/api/v1/cases/{case:MX_B}", None, 404),
    ("T", "POST", "/api/v1/cases/{case:MX_B}/comments", {"comment": "mine?"}, 404),
    ("T", "POST", "/api/v1/directives/{directive:MX_B}/progress", {"percent": 50}, 404),
    ("T", "POST", "/api/v1/datavalues", _push("MX_B"), 409),
    ("K", "POST", "/api/v1/datavalues", _push("MX_B"), 409),
    ("K", "POST", "/api/v1/datavalues", _push(DEPT), 200),
]

# Lists filtered to what the actor may see: (actor, path, the departments it must see, and only those).
LISTS: list[tuple[str, str, set[str]]] = [
    ("D", "/api/v1/datavalues?indicator=MX_N&start=2025-09&end=2025-09", {DEPT}),
    ("D", "/api/v1/datavalues?indicator=MX_N&start=2025-09&end=2025-09&department=MX_B", set()),
    ("K", "/api/v1/datavalues?indicator=MX_N&start=2025-09&end=2025-09", {DEPT}),
    ("P", "/api/v1/datavalues?indicator=MX_N&start=2025-09&end=2025-09", {DEPT}),
    ("T", "/api/v1/datavalues?indicator=MX_N&start=2025-09&end=2025-09", {DEPT}),
    ("V", "/api/v1/datavalues?indicator=MX_N&start=2025-09&end=2025-09", {DEPT, "MX_B"}),
]


def _with_ids(path: str, owned: dict[str, dict[str, int]]) -> str:
    for kind, ids in owned.items():
        for department, item in ids.items():
            path = path.replace(f"{{{kind}:{department}}}", str(item))
    return path


def test_department_users_and_keys_reach_their_own_departments_data_only(system: System, actors: Actors) -> None:
    wrong = []
    for actor, method, path, body, expected in OWNERSHIP:
        concrete = _with_ids(path, actors.owned)
        status = _status(system.gateway, method, concrete, body, actors.headers[actor])
        if status != expected:
            wrong.append(f"{actor} {method} {path}: {status}, expected {expected}")
    assert wrong == [], "\n".join(wrong)
    # The refused pushes stored nothing; the key's own one did.
    url = system.gateway + "/api/v1/datavalues?indicator=MX_N&start=2025-10&end=2025-10"
    stored = httpx.get(url, headers=actors.headers["V"], timeout=20).json()["items"]
    assert {v["department"] for v in stored} == {DEPT}


def test_lists_hold_the_callers_departments_and_nothing_else(system: System, actors: Actors) -> None:
    wrong = []
    for actor, path, expected in LISTS:
        r = httpx.get(system.gateway + path, headers=actors.headers[actor], timeout=20)
        assert r.status_code == 200, (actor, path, r.text)
        seen = {item["department"] for item in r.json()["items"]}
        if seen != expected:
            wrong.append(f"{actor} {path}: {sorted(seen)}, expected {sorted(expected)}")
    cases = {c["id"] for c in httpx.get(system.gateway + "/api/v1/cases", headers=actors.headers["D"]).json()["items"]}
    if actors.owned["case"]["MX_B"] in cases or actors.owned["case"][DEPT] not in cases:
        wrong.append(f"D /api/v1/cases: {sorted(cases)}, expected MX_A's case and not MX_B's")
    assert wrong == [], "\n".join(wrong)


def test_a_dhis2_client_works_with_a_personal_access_token(system: System, actors: Actors) -> None:
    """dhis2-client, as its users use it (``token=``: it sends ``Authorization: ApiToken``), pointed at
    the gateway's /dhis2 with D's token: system info, and D's data only."""
    key = actors.headers["T"]["Authorization"].removeprefix("ApiToken ")
    client = DHIS2Client(system.gateway + "/dhis2", token=key, retries=0)
    try:
        info = client.get_system_info()
        assert info["version"].startswith("2.")
        query = {"dataElement": "MX_N", "period": "202509", "idScheme": "CODE"}
        own = client.get("/api/dataValueSets", params={**query, "orgUnit": DEPT})
        assert [v["orgUnit"] for v in own["dataValues"]] == [DEPT]
        other = client.get("/api/40/dataValueSets", params={**query, "orgUnit": "MX_B"})
        assert other.get("dataValues", []) == []
    finally:
        client.close()
    # A revoked token: 401 with DHIS2's challenge, as the client sees it.
    r = httpx.post(system.gateway + "/api/v1/me/tokens", json={}, headers=actors.headers["D"])
    gone = r.json()
    assert (
        httpx.delete(f"{system.gateway}/api/v1/me/tokens/{gone['uid']}", headers=actors.headers["D"]).status_code == 200
    )
    refused = httpx.get(system.gateway + "/dhis2/api/system/info", headers={"Authorization": f"ApiToken {gone['key']}"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="DHIS2"'
    client = DHIS2Client(system.gateway + "/dhis2", token=gone["key"], retries=0)
    try:
        with pytest.raises(DHIS2HTTPError) as error:
            client.get_system_info()
        assert error.value.status_code == 401
    finally:
        client.close()
    # Neither key is in any log line of the run.
    logs = system.logs()
    assert key not in logs
    assert gone["key"] not in logs
