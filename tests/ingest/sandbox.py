"""A process in a container-like filesystem without a container: its own mount namespace (unshare,
as root or through an unprivileged user namespace) where the root filesystem is read-only, given
directories are mounted writable (the volumes), a scratch directory is a fresh tmpfs (compose's
``tmpfs: /tmp``, the pod's emptyDir) and hidden directories show an empty tmpfs.

The servers of the test (NATS, PostgreSQL, cameras) run outside and are reached over TCP as usual.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

# Mounts under /proc, /sys, /dev and /mnt are left as they are: the kernel's, and Docker keeps /dev/shm
# writable under read_only too.
_SCRIPT = r"""
set -e
# Volumes first: a bind mount refers to its source, so hiding that path later does not hide it.
while [ "$1" != "--" ]; do
    case "$1" in
        --volume) mount --bind "$2" "$3"; shift 3 ;;
        --scratch) mount -t tmpfs -o size=64m tmpfs "$2"; shift 2 ;;
        --hide) mount -t tmpfs -o size=1m,mode=0555 tmpfs "$2"; shift 2 ;;
        --writable) writable="$writable $2"; shift 2 ;;
    esac
done
shift
awk '{print $2}' /proc/self/mounts | while read -r point; do
    case "$point" in /proc*|/sys*|/dev*|/mnt*) continue ;; esac
    mount -o remount,bind,ro "$point"
done
for point in $writable; do mount -o remount,bind,rw "$point"; done
exec "$@"
"""


def _unshare() -> list[str]:
    path = shutil.which("unshare")
    if path is None:
        pytest.skip("util-linux `unshare` is not installed")
    base = [path, "--mount", "--propagation", "private"]
    return base if os.geteuid() == 0 else [path, "--user", "--map-root-user", "--mount", "--propagation", "private"]


def read_only_root(
    *, volumes: Mapping[Path, Path], scratch: Sequence[Path] = (), hide: Sequence[Path] = ()
) -> list[str]:
    """The command prefix: ``volumes`` maps each mount point to the directory mounted there, writable;
    everything else of the root filesystem is read-only. Mount points must exist beforehand."""
    args: list[str] = []
    for target, source in volumes.items():
        args += ["--volume", str(source), str(target), "--writable", str(target)]
    for directory in scratch:
        args += ["--scratch", str(directory), "--writable", str(directory)]
    for directory in hide:
        args += ["--hide", str(directory)]
    prefix = [*_unshare(), "sh", "-c", _SCRIPT, "sandbox", *args, "--"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespaces here (unshare needs root or user namespaces): {probe.stderr.strip()}")
    return prefix
