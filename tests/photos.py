"""Photos for the tests of public reports: a JPEG carrying an EXIF GPS position, made with Pillow."""

from __future__ import annotations

import io

from PIL import ExifTags, Image

# Sầm Sơn beach, as a phone would write it (degrees, minutes, seconds).
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (19.0, 44.0, 30.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (105.0, 54.0, 10.0),
}


def gps_jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    """A JPEG whose EXIF names the camera and the place it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    Image.new("RGB", size, (210, 120, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def gps_of(jpeg: bytes) -> dict[int, object]:
    """The GPS block of a JPEG's EXIF (empty when there is none), and the camera make still there."""
    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.format == "JPEG"
        exif = img.getexif()
        assert exif.get(ExifTags.Base.Make) == "TestPhone"
        return dict(exif.get_ifd(ExifTags.IFD.GPSInfo))
