"""Writing one evidence package (blocking; run in a worker thread): remux each camera's range into an
MP4 (packets copied, nothing re-encoded; or, for a redacted package, decoded, redacted and encoded
again, as a redacted clip is), hash it, write ``manifest.json``, sign its exact bytes into
``manifest.sig`` (raw 64-byte Ed25519), and put the three kinds of file in one ZIP, renamed into place
only once complete so a half-written ZIP is never served."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from services.ingest.evidence.signing import EvidenceSigner
from services.ingest.privacy.redact import redactor
from services.ingest.recording.clips import Piece, write_clip, write_redacted_clip

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "cityops-evidence/1"
HASH_CHUNK = 1024 * 1024


def software_version() -> str:
    try:
        return f"cityops {version('cityops')}"
    except PackageNotFoundError:
        return "cityops (unpackaged)"


@dataclass(frozen=True)
class CameraFootage:
    """The segments of one camera overlapping the package's range, oldest first (absolute paths)."""

    camera: str
    pieces: Sequence[Piece]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class PackageHeader:
    package_id: str
    case_id: str | None
    title: str
    reason: str
    start: datetime
    end: datetime
    exported_by: str
    exported_at: datetime
    redacted: bool


@dataclass(frozen=True)
class Built:
    size: int
    sha256: str
    manifest: dict[str, Any]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(footage: CameraFootage, target: Path, redacted: bool) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    if redacted:
        write_redacted_clip(footage.pieces, footage.start, footage.end, fd, redactor())
    else:
        write_clip(footage.pieces, footage.start, footage.end, fd)


def build_package(
    header: PackageHeader,
    footage: Sequence[CameraFootage],
    target: Path,
    signer: EvidenceSigner,
    progress: Callable[[float], None],
) -> Built:
    """Write the package to ``target`` (a ``.zip``); ``progress`` hears the done fraction after each step."""
    work = target.parent / f".{target.stem}.work"
    shutil.rmtree(work, ignore_errors=True)  # what a build interrupted by a restart left behind
    work.mkdir(parents=True)
    try:
        files: list[dict[str, Any]] = []
        for done, item in enumerate(footage, start=1):
            name = f"{item.camera}.mp4"
            _copy(item, work / name, header.redacted)
            files.append({
                "name": name,
                "camera": item.camera,
                "start": item.start.isoformat(),
                "end": item.end.isoformat(),
                "size": (work / name).stat().st_size,
                "sha256": file_sha256(work / name),
            })  # fmt: skip
            progress(done / (len(footage) + 1))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "package_id": header.package_id,
            "case_id": header.case_id,
            "title": header.title,
            "reason": header.reason,
            "start": header.start.isoformat(),
            "end": header.end.isoformat(),
            "exported_by": header.exported_by,
            "exported_at": header.exported_at.isoformat(),
            "redacted": header.redacted,
            "software": software_version(),
            "signature": {"algorithm": "Ed25519", "file": SIGNATURE, "public_key_sha256": signer.key_sha256},
            "files": files,
        }
        manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"
        partial = work / "package.zip"
        # MP4 does not compress further: stored, so the ZIP costs one copy of the bytes and no CPU.
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            for entry in files:
                archive.write(work / entry["name"], entry["name"])
            archive.writestr(MANIFEST, manifest_bytes)
            archive.writestr(SIGNATURE, signer.sign(manifest_bytes))
        size, digest = partial.stat().st_size, file_sha256(partial)
        os.replace(partial, target)
        progress(1.0)
        return Built(size, digest, manifest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
