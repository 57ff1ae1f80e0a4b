"""Offline check of an evidence package against the signing public key; needs only this file and the
``cryptography`` package (no service, no database, no network).

    python -m services.ingest.evidence.verify PACKAGE.zip --public-key evidence-public.pem

Exit 0 and ``OK …`` when the manifest's signature is good and every file matches the manifest; exit 1
and one ``FAILED <name>: why`` line per problem otherwise (an altered, missing or unexpected file, or a
manifest that is not the signed one).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


def _digest(archive: zipfile.ZipFile, name: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def verify_package(package: Path, public_pem: bytes) -> list[str]:
    """The problems found, as ``"<name>: why"``; empty when the package is intact and signed by the key."""
    key = load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    problems: list[str] = []
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        if MANIFEST not in names or SIGNATURE not in names:
            return [f"{n}: missing" for n in (MANIFEST, SIGNATURE) if n not in names]
        manifest_bytes = archive.read(MANIFEST)
        try:
            key.verify(archive.read(SIGNATURE), manifest_bytes)
        except InvalidSignature:
            problems.append(f"{MANIFEST}: signature does not match (altered, or signed by another key)")
        try:
            files = json.loads(manifest_bytes)["files"]
        except (ValueError, KeyError, TypeError):
            return [*problems, f"{MANIFEST}: not a package manifest"]
        listed = set()
        for entry in files:
            name = str(entry.get("name"))
            listed.add(name)
            if name not in names:
                problems.append(f"{name}: missing from the package")
                continue
            size, sha256 = _digest(archive, name)
            if sha256 != entry.get("sha256") or size != entry.get("size"):
                problems.append(f"{name}: altered (sha256 {sha256}, manifest says {entry.get('sha256')})")
        problems += [f"{name}: not in the manifest" for name in sorted(names - listed - {MANIFEST, SIGNATURE})]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.ingest.evidence.verify", description=__doc__)
    parser.add_argument("package", type=Path, help="the downloaded ZIP")
    parser.add_argument(
        "--public-key", type=Path, required=True, help="PEM from GET /api/v1/evidence-packages/public-key"
    )
    args = parser.parse_args(argv)
    try:
        problems = verify_package(args.package, args.public_key.read_bytes())
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        sys.stdout.write(f"FAILED {args.package}: {exc}\n")
        return 1
    for problem in problems:
        sys.stdout.write(f"FAILED {problem}\n")
    if problems:
        return 1
    sys.stdout.write(f"OK {args.package}: manifest signature valid, every file matches its sha256\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
