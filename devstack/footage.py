"""Real recorded street footage for the demo camera and the tests, fetched from Debian's package index.

Debian's ``opencv-doc`` ships ``vtest.avi``: outdoor CCTV of pedestrians and parked vehicles
(768x576, 10 fps, 795 frames, MPEG-4 part 2). We extract it without a system install and transcode
it once to H.264 with PyAV's bundled libx264, since RTSP cameras send H.264.

    python -m devstack.footage      prints the path of the H.264 clip, fetching it if needed
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE_DIR = Path(os.environ.get("CITYOPS_FOOTAGE_DIR", ROOT / ".run" / "footage"))
VTEST_IN_DEB = "usr/share/doc/opencv-doc/examples/data/vtest.avi"


class FootageUnavailable(RuntimeError):
    pass


def _apt_download(package: str, dest: Path) -> Path:
    def attempt() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["apt-get", "download", package], cwd=dest, capture_output=True, text=True, check=False)

    if shutil.which("apt-get") is None:
        raise FootageUnavailable(
            "apt-get not found: this needs a Debian machine to fetch opencv-doc's vtest.avi; "
            f"or put a vtest.avi in {FOOTAGE_DIR} yourself"
        )
    result = attempt()
    if result.returncode != 0 and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
        result = attempt()
    if result.returncode != 0:
        raise FootageUnavailable(
            f"`apt-get download {package}` failed: {result.stderr.strip()[-500:]}. "
            "Run `sudo apt-get update` once, or put a vtest.avi into " + str(FOOTAGE_DIR)
        )
    debs = sorted(dest.glob(f"{package}_*.deb"))
    return debs[-1]


def vtest_avi() -> Path:
    """The original clip, extracted from opencv-doc on first use."""
    return opencv_doc_file(VTEST_IN_DEB)


def opencv_doc_file(path_in_package: str) -> Path:
    """A file of Debian's opencv-doc (sample clips and stills), extracted into ``FOOTAGE_DIR`` on first use."""
    target = FOOTAGE_DIR / Path(path_in_package).name
    if target.exists():
        return target
    FOOTAGE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        work.chmod(0o777)  # apt drops privileges to _apt for downloads
        deb = _apt_download("opencv-doc", work)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True)
        shutil.copyfile(work / "x" / path_in_package, target)
    return target


def vtest_h264(gop: int = 20) -> Path:
    """vtest.avi transcoded to H.264 in MP4 (keyframe every ``gop`` frames = 2 s), made once."""
    return _vtest_as_h264(FOOTAGE_DIR / "vtest-h264.mp4", gop, shrink=1)


def vtest_h264_substream(gop: int = 20) -> Path:
    """The same at half size (384x288, about what a camera's substream is), for wall tiles, made once."""
    return _vtest_as_h264(FOOTAGE_DIR / "vtest-h264-sub.mp4", gop, shrink=2)


def vtest_h264_sparse(every: int = 5) -> Path:
    """Substream size at 10/``every`` fps (2 fps by default), keyframe every 2 s: many cameras on one
    machine (the outage test and benchmark) without the RTSP server and the decoders eating its cores."""
    return _vtest_as_h264(FOOTAGE_DIR / f"vtest-h264-sub-every{every}.mp4", max(20 // every, 1), 2, every)


def _vtest_as_h264(target: Path, gop: int, shrink: int, every: int = 1) -> Path:
    if target.exists():
        return target
    import av

    source = vtest_avi()
    partial = target.with_suffix(".part.mp4")
    with av.open(str(source)) as src, av.open(str(partial), "w") as dst:
        in_stream = src.streams.video[0]
        fps = Fraction(10, every)
        out = dst.add_stream("libx264", rate=fps)
        out.width = in_stream.codec_context.width // shrink
        out.height = in_stream.codec_context.height // shrink
        out.pix_fmt = "yuv420p"
        out.options = {"preset": "veryfast", "crf": "23", "g": str(gop), "bf": "0"}
        for i, frame in enumerate(src.decode(in_stream)):
            if i % every:
                continue
            # Decimated frames get their own clock; the others keep the encoder's (unchanged footage).
            frame.pts = i // every if every > 1 else None
            frame.time_base = 1 / fps
            for packet in out.encode(frame.reformat(width=out.width, height=out.height, format="yuv420p")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)
    partial.rename(target)
    return target


if __name__ == "__main__":
    try:
        print(vtest_h264())
    except FootageUnavailable as exc:
        print(f"footage: {exc}", file=sys.stderr)
        sys.exit(1)
