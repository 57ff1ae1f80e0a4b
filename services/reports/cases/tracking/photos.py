"""A reporter's photo made safe to keep: decoded and encoded again as a JPEG (so nothing hidden in the
file survives: XMP, comments, trailing data, a second image), bounded in bytes and pixels, and without
its EXIF location unless the reporter chose to share it. Done here, never trusted to the client.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import ExifTags, Image, UnidentifiedImageError

from shared.errors import InvalidInputError, PayloadTooLargeError

MAX_BYTES = 5 * 1024 * 1024
# Checked before the pixels are decoded: a small file can claim a huge picture (a decompression bomb).
MAX_PIXELS = 40_000_000
# Kept at most this long on its longer side: enough to see a pothole or a price board.
MAX_SIDE = 2560
FORMATS = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int
    location_kept: bool


def clean_photo(data: bytes, *, keep_location: bool) -> CleanPhoto:
    """The photo as it is stored: a JPEG with only the EXIF it had (camera, time, orientation) and its GPS
    block only when ``keep_location``; ``InvalidInputError`` when it is no JPEG, PNG or WebP picture."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLargeError(f"a photo is at most {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise InvalidInputError(f"a photo has at most {MAX_PIXELS} pixels", field="photo")
            exif = opened.getexif()
            icc = opened.info.get("icc_profile")
            picture = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise InvalidInputError("the photo is not a JPEG, PNG or WebP picture", field="photo") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    location = ExifTags.IFD.GPSInfo in exif
    if location and not keep_location:
        del exif[ExifTags.IFD.GPSInfo]
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 88}
    if len(exif):
        options["exif"] = exif.tobytes()
    if isinstance(icc, bytes):
        options["icc_profile"] = icc
    picture.save(out, "JPEG", **options)
    return CleanPhoto(out.getvalue(), picture.width, picture.height, location and keep_location)
