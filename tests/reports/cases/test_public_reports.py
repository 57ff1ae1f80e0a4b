"""Reports from the public page on the reports service (real PostgreSQL and NATS): filed anonymously with
a photo whose EXIF location is stripped unless shared, the ward derived from the place, followed and
rated by the tracking code, and nothing personal shown to the holder of the code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.photos import GPS, gps_jpeg, gps_of
from tests.reports.cases.conftest import ADMIN, GPMB, OPERATOR
from tests.reports.cases.test_satisfaction_open311 import _resolve
from tests.reports.conftest import ANONYMOUS
from tests.support import ServiceProcess

BEACH = {"lat": "19.745", "long": "105.905"}  # inside the ward below
WARD = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "P_SAMSON", "name": "Sầm Sơn"},
            "geometry": {"type": "Polygon", "coordinates": [[[105.88, 19.73], [105.92, 19.73], [105.92, 19.77],
                                                             [105.88, 19.73]]]},
        }
    ],
}  # fmt: skip
FOLLOWED = {
    "code", "service_code", "service_name", "status", "open", "ward", "received_at", "expected_at",
    "updated_at", "outcome_text", "timeline", "can_rate", "rated",
}  # fmt: skip


@pytest.fixture
async def public(reports_service: ServiceProcess, cases_pg: asyncpg.Connection) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client (as the gateway forwards a member of the public), with one ward loaded."""
    async with httpx.AsyncClient(base_url=reports_service.url, auth=ANONYMOUS.auth, timeout=30) as c:
        assert (await c.put("/geo/wards", json=WARD, headers=ADMIN)).status_code == 200
        yield c
    await cases_pg.execute("DELETE FROM reports.geo_layer")


async def _file(c: httpx.AsyncClient, photo: bytes | None = None, **form: str) -> httpx.Response:
    data = {"service_code": "tourism_price_gouging", "description": "Crab at 3 million", **BEACH, **form}
    data.setdefault("attribute[bill_amount]", "3000000")  # the category's required question
    files = {"photo": ("crab.jpg", photo, "image/jpeg")} if photo is not None else None
    return await c.post("/public/v1/reports", data=data, files=files)


async def _stored_photo(c: httpx.AsyncClient, pg: asyncpg.Connection, code: str) -> bytes:
    """The photo as staff open it, through the link the case carries."""
    case_id = await pg.fetchval("SELECT case_id FROM reports.open311_request WHERE token = $1", code)
    [link] = (await c.get(f"/cases/{case_id}", headers=OPERATOR)).json()["attachments"]
    assert link.startswith(f"/api/v1/cases/{case_id}/photos/")
    path = link.removeprefix("/api/v1")
    assert (await c.get(path)).status_code == 401  # never to the public
    assert (await c.get(path, headers=GPMB)).status_code == 404  # another department's case
    r = await c.get(path, headers=OPERATOR)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    return r.content


async def test_a_report_is_filed_with_a_photo_and_followed_by_its_code(
    public: httpx.AsyncClient, cases_pg: asyncpg.Connection
) -> None:
    original = gps_jpeg()
    assert gps_of(original) == GPS
    r = await _file(public, original)
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["ward"] == "P_SAMSON"
    assert filed["photo"] is True
    code = filed["code"]
    assert [len(part) for part in code.split("-")] == [4, 4, 4]

    # The location is stripped by default; the rest of the EXIF (the camera) is kept.
    assert gps_of(await _stored_photo(public, cases_pg, code)) == {}

    # Followed by the code as typed on a phone: lower case, without dashes.
    r = await public.get(f"/public/v1/reports/{code.replace('-', '').lower()}")
    assert r.status_code == 200, r.text
    followed = r.json()
    assert set(followed) == FOLLOWED
    assert followed["code"] == code
    assert (followed["status"], followed["open"], followed["ward"]) == ("new", True, "P_SAMSON")
    assert [(e["kind"], e["status"]) for e in followed["timeline"]] == [("created", "new")]
    assert (followed["can_rate"], followed["rated"]) == (False, False)
    assert (await public.post(f"/public/v1/reports/{code}/rating-link")).status_code == 409
    assert (await public.get("/public/v1/reports/AAAA-BBBB-CCCC")).status_code == 404
    assert (await public.get("/public/v1/reports/not-a-code")).status_code == 404


async def test_the_photo_location_is_kept_only_when_shared(
    public: httpx.AsyncClient, cases_pg: asyncpg.Connection
) -> None:
    r = await _file(public, gps_jpeg(), share_photo_location="true")
    assert r.status_code == 201, r.text
    assert gps_of(await _stored_photo(public, cases_pg, r.json()["code"])) == GPS


async def test_bad_reports_are_refused(public: httpx.AsyncClient) -> None:
    def field(r: httpx.Response) -> Any:
        assert r.status_code == 422, r.text
        return r.json()["invalid_params"][0]["name"]

    assert field(await _file(public, b"GIF89a not a photo")) == "photo"
    assert (await _file(public, b"\xff\xd8" + b"\0" * (5 * 1024 * 1024))).status_code == 413
    # A category the city has not published is not offered to the public.
    assert (await _file(public, service_code="site_clearance")).status_code == 404
    assert field(await _file(public, lat="91")) == "lat"
    assert field(await _file(public, **{"attribute[bill_amount]": "lots"})) == "attribute[bill_amount]"
    r = await _file(public)
    assert r.status_code == 201, r.text
    assert r.json()["photo"] is False


async def test_a_handled_report_is_rated_through_the_ratings_api(public: httpx.AsyncClient) -> None:
    code = (await _file(public)).json()["code"]
    async with httpx.AsyncClient(base_url=str(public.base_url), auth=OPERATOR.auth, timeout=30) as staff:
        case_id = (await staff.get("/cases", params={"q": "Crab"})).json()["items"][0]["id"]
        r = await _resolve(staff, case_id, outcome={"measures": ["warning"], "result_text": "Stall fined"})
        assert r.status_code == 200, r.text
    followed = (await public.get(f"/public/v1/reports/{code}")).json()
    assert [e["status"] for e in followed["timeline"]] == ["new", "acknowledged", "assigned", "in_progress", "resolved"]
    assert (followed["can_rate"], followed["outcome_text"]) == (True, "Stall fined")

    r = await public.post(f"/public/v1/reports/{code}/rating-link")
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert (await public.get(f"/ratings/{token}")).json()["already_rated"] is False
    assert (await public.post(f"/ratings/{token}", json={"rating": 4})).status_code == 201
    followed = (await public.get(f"/public/v1/reports/{code}")).json()
    assert (followed["can_rate"], followed["rated"]) == (False, True)
    assert (await public.post(f"/public/v1/reports/{code}/rating-link")).status_code == 409
