"""Checks on evidence packages shared by the ingest and end-to-end tests: the documented verify command,
tampering, and proof that an MP4 was remuxed (its packets are the recorded ones, byte for byte)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import av

from tests.support import ROOT


def verify(package: Path, public_key: Path) -> tuple[int, str]:
    """The README's command, as an operator runs it: (exit code, output)."""
    done = subprocess.run(
        [sys.executable, "-m", "services.ingest.evidence.verify", str(package), "--public-key", str(public_key)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def manifest(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        found: dict[str, Any] = json.loads(archive.read("manifest.json"))
        return found


def rewritten(package: Path, target: Path, name: str, change: Any) -> Path:
    """A copy of ``package`` where member ``name``'s bytes are ``change(bytes)``; the rest untouched."""
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, change(data) if info.filename == name else data)
    return target


def flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def packet_digests(path: Path) -> tuple[list[str], str]:
    """sha256 of every video packet's payload, in order, and the stream's codec."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        digests = [hashlib.sha256(bytes(p)).hexdigest() for p in container.demux(stream) if p.size]
        return digests, stream.codec_context.name


def recorded_digests(directory: Path) -> set[str]:
    """Packet digests of every closed segment under ``directory`` (the one being written has no index yet)."""
    found: set[str] = set()
    for segment in directory.rglob("*.mp4"):
        try:
            found.update(packet_digests(segment)[0])
        except av.error.InvalidDataError:
            continue
    return found


def member_sha256(package: Path, name: str) -> tuple[int, str]:
    with zipfile.ZipFile(package) as archive:
        data = archive.read(name)
    return len(data), hashlib.sha256(data).hexdigest()


def extract(package: Path, name: str, target: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        target.write_bytes(archive.read(name))
    return target
