"""Property-based fuzzing (schemathesis) of every service's OpenAPI on the running system: no 5xx, and
every documented response matches its schema. Internal services are fuzzed with an admin caller,
the gateway with an admin token and with a department API key."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import System, running_system
from tests.support import ROOT

STREAMING = r"(/events|/mjpeg|/clip\.mp4)$"
# `make soak` fuzzes for minutes per target; `make test` samples each for under a minute.
DEEP_SECONDS = int(os.environ.get("CITYOPS_FUZZ_SECONDS", "0"))
if DEEP_SECONDS:
    # The gateway test fuzzes twice; the suite's per-test timeout is sized for the short run.
    pytestmark = pytest.mark.timeout(2 * DEEP_SECONDS + 300)


@pytest.fixture(scope="module")
def system(nats_server, module_database: str, footage_h264: Path) -> Iterator[System]:  # type: ignore[no-untyped-def]
    # Fuzzing is a flood from one client: the per-user rate limit would answer it with 429s.
    with running_system(
        nats_server, module_database, footage_h264, CITYOPS_GATEWAY_RATE_LIMIT_PER_MINUTE="1000000"
    ) as system:
        yield system


def _fuzz(
    base_url: str,
    headers: dict[str, str],
    checks: str,
    tmp_path: Path,
    seconds: int = 40,
    env: dict[str, str] | None = None,
    schema: str | None = None,
) -> None:
    seconds, examples = (DEEP_SECONDS, 200) if DEEP_SECONDS else (seconds, 15)
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", schema or f"{base_url}/openapi.json",
        "--url", base_url,
        "--checks", checks, "--max-examples", str(examples), "--max-time", str(seconds), "--seed", "1",
        "--phases", "examples,coverage,fuzzing", "--exclude-path-regex", STREAMING,
        "--request-timeout", "20", "--no-color", "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds * 4,
        check=False,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    failures = result.stdout[result.stdout.find("FAILURES") :] if "FAILURES" in result.stdout else result.stdout
    assert result.returncode == 0, failures[:12000] + result.stderr[-2000:]


@pytest.mark.parametrize("service", ["ingest", "analytics", "reports"])
def test_internal_service_never_answers_5xx_and_matches_its_schema(
    system: System, service: str, tmp_path: Path
) -> None:
    # The run outlives any identity token: the hook signs a fresh one for each call (as ``proc.auth`` does).
    proc = system.services[service]
    schema = tmp_path / "openapi.json"
    schema.write_bytes(httpx.get(proc.url + "/openapi.json", auth=proc.auth).raise_for_status().content)
    hook = {"SCHEMATHESIS_HOOKS": "tests.faults.identity_hook", "CITYOPS_FUZZ_AUDIENCE": service}
    checks = "not_a_server_error,response_schema_conformance"
    _fuzz(proc.url, {}, checks, tmp_path, env=hook, schema=str(schema))
    # Signed, or nothing was fuzzed past the identity check (schemathesis' own probe goes unsigned).
    refused = [line for line in proc.log_text().splitlines() if "identity.refused" in line]
    assert all("schemathesis-probe" in line for line in refused), refused[:3]


def test_gateway_never_answers_5xx_to_an_admin_or_a_department_key(system: System, tmp_path: Path) -> None:
    gw = system.gateway
    key = httpx.post(gw + "/api/v1/api-keys", json={"name": "fuzz", "departments": ["VHTT"]}, headers=system.admin)
    assert key.status_code == 201
    _fuzz(gw, system.admin, "not_a_server_error,response_schema_conformance", tmp_path / "admin")
    _fuzz(gw, {"X-API-Key": key.json()["key"]}, "not_a_server_error", tmp_path / "key", seconds=20)
