"""Evidence packages in ingest alone: a package left `running` by a stopped replica is built again (or,
after too many interrupted builds, failed), and the signing key's configuration is checked at start."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from devstack.rtsp import RtspServer
from services.ingest.app import MIGRATIONS_DIR
from services.ingest.evidence.models import EvidencePackage
from shared.db import Database
from tests.ingest.conftest import CLIP
from tests.support import ServiceProcess

CAMERA = "pkg-cam"


def _wait(what: str, probe: Callable[[], object], timeout: float, proc: ServiceProcess) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last})\n{proc.log_tail()}")


def _coverage(proc: ServiceProcess) -> tuple[datetime, datetime] | None:
    now = datetime.now(UTC)
    params = {"start": (now - timedelta(minutes=5)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()}
    spans = httpx.get(f"{proc.url}/cameras/{CAMERA}/coverage", params=params, auth=proc.auth).json()
    # The looping test stream can leave a gap after the first seconds, so any long enough span will do.
    for span in spans:
        start, end = datetime.fromisoformat(span["start_at"]), datetime.fromisoformat(span["end_at"])
        if end - start >= timedelta(seconds=5):
            return start, end
    return None


def _abandoned(start: datetime, attempts: int) -> EvidencePackage:
    """A package as a replica killed mid-build leaves it: running, its heartbeat a minute old."""
    return EvidencePackage(
        id=uuid.uuid4(), title="left behind", reason="replica stopped", cameras=[CAMERA], start_at=start,
        end_at=start + timedelta(seconds=3), status="running", progress=0.5, attempts=attempts,
        builder="stopped-replica", created_by="operator", heartbeat_at=datetime.now(UTC) - timedelta(minutes=1),
    )  # fmt: skip


async def _insert(url: str, *rows: EvidencePackage) -> None:
    database = Database(url, schema="ingest", migrations_dir=MIGRATIONS_DIR, app_name="test")
    await database.start()
    await database.wait_ready(30)
    try:
        async with database.session() as session:
            session.add_all(rows)
    finally:
        await database.close()


def test_a_package_abandoned_mid_build_is_built_again_and_one_that_keeps_failing_is_failed(
    rtsp_server: Callable[[], RtspServer], ingest: Callable[..., ServiceProcess], fresh_database: str, tmp_path
) -> None:
    server = rtsp_server()
    proc = ingest(
        CITYOPS_INGEST_SEGMENT_S="2",
        CITYOPS_INGEST_RECORDINGS_DIR=str(tmp_path / "recordings"),
        CITYOPS_INGEST_RECORDING_RECONCILE_S="1",
        CITYOPS_INGEST_EVIDENCE_STALE_S="2",
        CITYOPS_INGEST_EVIDENCE_POLL_S="0.5",
    )
    body = {"id": CAMERA, "name": "Packaged", "url": server.url(CLIP), "category": "street", "sampling_fps": 1}
    assert httpx.post(proc.url + "/cameras", json=body, auth=proc.auth).status_code == 201
    assert httpx.put(f"{proc.url}/cameras/{CAMERA}/recording", json={"mode": "continuous"}, auth=proc.auth).is_success
    covered = _wait("5 s of footage", lambda: _coverage(proc), 120, proc)
    assert isinstance(covered, tuple)
    start = covered[0] + timedelta(seconds=1)

    resumed, exhausted = _abandoned(start, attempts=1), _abandoned(start, attempts=3)
    asyncio.run(_insert(fresh_database, resumed, exhausted))

    def status(package: EvidencePackage) -> dict[str, object]:
        r = httpx.get(f"{proc.url}/evidence-packages/{package.id}", auth=proc.auth)
        assert r.status_code == 200, r.text
        found: dict[str, object] = r.json()
        return found

    done = _wait(
        "the abandoned package rebuilt", lambda: status(resumed)["status"] == "ready" and status(resumed), 30, proc
    )
    assert isinstance(done, dict)
    assert done["progress"] == 1.0
    zipped = httpx.get(f"{proc.url}/evidence-packages/{resumed.id}/download", auth=proc.auth)
    assert zipped.status_code == 200
    assert zipped.content[:2] == b"PK"
    failed = _wait(
        "the exhausted package failed", lambda: status(exhausted)["status"] == "failed" and status(exhausted), 30, proc
    )
    assert isinstance(failed, dict)
    assert "gave up after 3" in str(failed["error"])
    assert httpx.get(f"{proc.url}/evidence-packages/{exhausted.id}/download", auth=proc.auth).status_code == 409


def test_without_a_key_packages_are_refused_and_a_malformed_key_stops_ingest(
    ingest: Callable[..., ServiceProcess], service_process: Callable[..., ServiceProcess], fresh_database: str,
    nats_server,
) -> None:  # fmt: skip
    keyless = ingest(CITYOPS_INGEST_EVIDENCE_KEY="")
    refused = httpx.get(keyless.url + "/evidence-packages/public-key", auth=keyless.auth)
    assert refused.status_code == 503
    assert "CITYOPS_INGEST_EVIDENCE_KEY_FILE" in refused.json()["detail"]

    secret = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwgc2VjcmV0LTQyNDI=\n-----END PRIVATE KEY-----\n"
    broken = service_process(
        "ingest",
        CITYOPS_NATS_URL=nats_server.url,
        CITYOPS_DATABASE_URL=fresh_database,
        CITYOPS_INGEST_EVIDENCE_KEY=secret,
    )
    assert broken.proc is not None
    broken.proc.wait(60)
    assert broken.proc.returncode != 0
    log = broken.log_text()
    assert "CITYOPS_INGEST_EVIDENCE_KEY is not an unencrypted PEM private key" in log
    assert "bm90IGEga2V5" not in log
