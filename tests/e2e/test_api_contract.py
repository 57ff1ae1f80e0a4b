"""The public API's contract through the gateway: its OpenAPI documents every forwarded operation
with the owning service's own parameters and schemas, and every list pages the same way."""

from __future__ import annotations

import time
from typing import Any

import httpx
from openapi_spec_validator import validate

from tests.e2e.conftest import System


def _documented(gw: str) -> dict[str, Any]:
    """The gateway's OpenAPI once it has read every internal service's (they start alongside it)."""
    deadline = time.monotonic() + 60
    while True:
        spec = httpx.get(gw + "/openapi.json").json()
        services = {name.split(".")[0] for name in spec["components"]["schemas"] if "." in name}
        if services == {"ingest", "analytics", "reports"}:
            return spec
        assert time.monotonic() < deadline, services
        time.sleep(1)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if isinstance(node.get("$ref"), str) else []) + [
            r for v in node.values() for r in _refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_documents_forwarded_operations_with_their_own_schemas_and_validates(system: System) -> None:
    spec = _documented(system.gateway)
    validate(spec)
    # Every reference resolves inside the document (a model's own "#/$defs" would not).
    schemas = spec["components"]["schemas"]
    assert {r for r in _refs(spec) if r.removeprefix("#/components/schemas/") not in schemas} == set()
    paths = spec["paths"]
    # The generic catch-all entries are replaced by the services' operations.
    assert not [p for p in paths if p.endswith("/{rest}")]
    cameras = paths["/api/v1/cameras"]["get"]
    assert {"limit", "cursor", "sort", "category", "ward", "tag", "status"} <= {
        p["name"] for p in cameras["parameters"]
    }
    assert cameras["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].startswith(
        "#/components/schemas/ingest."
    )
    assert {"401", "403"} <= set(cameras["responses"])  # the gateway's own answers
    assert "post" in paths["/api/v1/cases"]
    assert "post" in paths["/api/v1/cases/{case_id}/transitions"]
    # A write the gateway does not offer is not documented (counts are read-only).
    assert set(paths["/api/v1/counts"]) == {"get"}
    # Where the gateway serves a path itself (snapshots from NATS), its own operation stays.
    assert "/api/v1/cameras/{camera_id}/snapshot.jpg" not in paths
    assert "/api/v1/cameras/{camera}/snapshot.jpg" in paths
    # Internal-only routes are not published.
    assert not [p for p in paths if p.endswith("/stats") or p == "/api/v1/cameras/{camera}/motion-masks"]


def test_every_paged_list_walks_with_next_cursor_and_refuses_a_bogus_sort(system: System) -> None:
    gw, admin = system.gateway, system.admin
    spec = _documented(gw)

    def pages(operation: dict[str, Any]) -> bool:
        """A paged list that needs no other parameter (data values need an indicator, for example)."""
        parameters = operation.get("parameters", [])
        required = any(p.get("required") for p in parameters if p["in"] == "query")
        return not required and {"cursor", "limit", "sort"} <= {p["name"] for p in parameters}

    paged = sorted(path for path, ops in spec["paths"].items() if "{" not in path and pages(ops.get("get", {})))
    assert {"/api/v1/cameras", "/api/v1/alerts", "/api/v1/rules", "/api/v1/cases", "/api/v1/audit"} <= set(paged)
    for path in paged:
        first = httpx.get(gw + path, params={"limit": 1}, headers=admin)
        assert first.status_code == 200, (path, first.text[:300])
        body = first.json()
        assert set(body) == {"items", "next_cursor"}, path
        if body["next_cursor"] is not None:
            second = httpx.get(gw + path, params={"limit": 1, "cursor": body["next_cursor"]}, headers=admin)
            assert second.status_code == 200, (path, second.text[:300])
            assert second.json()["items"] != body["items"], path
        bogus = httpx.get(gw + path, params={"sort": "no_such_field"}, headers=admin)
        assert bogus.status_code == 422, path
        assert bogus.json()["invalid_params"][0]["name"] == "sort", path
