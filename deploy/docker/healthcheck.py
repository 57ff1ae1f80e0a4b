#!/usr/bin/env python
"""Container health check of a cityops service: exit 0 when it answers, 1 when it does not.

    cityops-healthcheck [--ready] [SERVICE]

The service defaults to the one PID 1 runs (``python -m services.<name>``), so one image-level
HEALTHCHECK fits every service. Its port comes from the service's own settings, i.e. from the same
environment variables the service reads. ``--ready`` asks ``/readyz`` (dependencies answer) instead
of ``/healthz`` (process alive); compose uses it so that ``depends_on`` waits for real readiness.
A container that runs no service (the migration job) is healthy by definition.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import urllib.error
import urllib.request
from pathlib import Path

SERVICE_MODULE_PREFIX = "services."


def service_of_pid1(cmdline: Path = Path("/proc/1/cmdline")) -> str | None:
    try:
        args = cmdline.read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    for arg in args:
        if arg.startswith(SERVICE_MODULE_PREFIX):
            return arg.removeprefix(SERVICE_MODULE_PREFIX)
    return None


def service_port(service: str) -> int:
    settings_module = importlib.import_module(f"services.{service}.settings")
    return int(settings_module.get_settings().port)


def check(url: str, timeout: float) -> str | None:
    """None when ``url`` answers 200, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return None if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", nargs="?", help="ingest, analytics, reports or gateway")
    parser.add_argument("--ready", action="store_true", help="check /readyz instead of /healthz")
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args(argv)
    service = args.service or service_of_pid1()
    if service is None:
        return 0
    url = f"http://127.0.0.1:{service_port(service)}{'/readyz' if args.ready else '/healthz'}"
    failure = check(url, args.timeout)
    if failure is not None:
        sys.stderr.write(f"cityops-healthcheck: {service} {url}: {failure}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
