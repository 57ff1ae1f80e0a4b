"""Files attached to a department's answer to a directive: size-limited, seen by whoever sees the
directive, downloaded never rendered, only by the addressed departments."""

from __future__ import annotations

import httpx

from tests.reports.cases.conftest import GPMB, LEADER, QLTT, who
from tests.reports.cases.test_directives import _issue
from tests.reports.conftest import assert_problem


async def test_an_addressed_department_attaches_files_to_its_answer(client: httpx.AsyncClient) -> None:
    d = await _issue(client, departments=["QLTT"])
    url = f"/directives/{d['id']}/attachments"
    pdf = b"%PDF-1.4 inspection report"
    r = await client.post(
        url,
        params={"filename": "Biên bản kiểm tra.pdf"},
        content=pdf,
        headers={**QLTT, "content-type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    a = r.json()
    assert (a["department"], a["filename"], a["content_type"], a["size"]) == (
        "QLTT", "Biên bản kiểm tra.pdf", "application/pdf", len(pdf)
    )  # fmt: skip
    listed = (await client.get(url, headers=LEADER)).json()
    assert [x["id"] for x in listed] == [a["id"]]
    r = await client.get(f"{url}/{a['id']}", headers=QLTT)
    assert r.status_code == 200
    assert r.content == pdf
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["x-content-type-options"] == "nosniff"

    # Not addressed to GPMB: the directive does not exist for it; a leader does not answer directives.
    assert (await client.get(url, headers=GPMB)).status_code == 404
    assert (await client.get(f"{url}/{a['id']}", headers=GPMB)).status_code == 404
    r = await client.post(url, params={"filename": "x.txt"}, content=b"x", headers=GPMB)
    assert r.status_code == 404
    r = await client.post(url, params={"filename": "x.txt"}, content=b"x", headers=LEADER)
    assert r.status_code == 403


async def test_an_attachment_too_large_empty_or_badly_named_is_refused(client: httpx.AsyncClient) -> None:
    d = await _issue(client, departments=["QLTT"])
    url = f"/directives/{d['id']}/attachments"
    r = await client.post(url, params={"filename": "big.bin"}, content=b"\0" * (5 * 1024 * 1024 + 1), headers=QLTT)
    assert_problem(r, 413, "file")
    assert_problem(await client.post(url, params={"filename": "e.txt"}, content=b"", headers=QLTT), 422, "file")
    r = await client.post(url, params={"filename": "../etc/passwd"}, content=b"x", headers=QLTT)
    assert_problem(r, 422, "filename")
    both = who("multi", "department", departments=("QLTT", "GPMB"))
    assert (await client.get(url, headers=both)).json() == []
