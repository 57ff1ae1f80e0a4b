"""Stream URL rules: the policy (schemes, blocked networks), masking, scrubbing credentials out of free text."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from services.ingest.cameras.urls import (
    BlockedUrlError,
    UrlPolicy,
    check_stream_url,
    has_credentials,
    keep_masked_credentials,
    mask_url,
    redact,
    refuse_blocked_target,
    scrub,
    validate_stream_url,
)
from services.ingest.settings import IngestSettings
from shared.errors import InvalidInputError

STRICT = UrlPolicy()
LOOPBACK_OK = UrlPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")))


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("rtsp://user:pa%40ss@10.0.0.5:554/stream1", "rtsp://user:***@10.0.0.5:554/stream1"),
        ("rtsps://admin@cam.local/live?channel=1", "rtsps://admin@cam.local/live?channel=1"),
        ("http://10.0.0.7/mjpeg", "http://10.0.0.7/mjpeg"),
        ("rtsp://u:p@[fe80::1]:8554/x", "rtsp://u:***@[fe80::1]:8554/x"),
        # A raw '@' in the password: the host is after the last one.
        ("rtsp://user:pa@ss@host/x", "rtsp://user:***@host/x"),
        ("rtsp://user:@host/x", "rtsp://user:***@host/x"),
        (
            "http://10.0.0.8/cgi-bin/snapshot.cgi?user=admin&password=hunter2&channel=1",
            "http://10.0.0.8/cgi-bin/snapshot.cgi?user=admin&password=***&channel=1",
        ),
        (
            "https://cam.example/live.m3u8?token=abc&api_key=k1&X-Amz-Signature=s1&pwd=p1",
            "https://cam.example/live.m3u8?token=***&api_key=***&X-Amz-Signature=***&pwd=***",
        ),
    ],
)
def test_mask_url_keeps_the_user_and_hides_the_secrets(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_has_credentials_counts_secret_query_values() -> None:
    assert has_credentials("http://10.0.0.8/s.cgi?pwd=x")
    assert has_credentials("rtsp://u:p@h/x")
    assert not has_credentials("http://10.0.0.8/s.cgi?channel=1")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Connection refused: 'rtsp://admin:hunter2@127.0.0.1:554/s'", "hunter2"),
        # What the old pattern leaked: the part of a password after a raw '@' ...
        ("HTTPError: 'rtsp://user:pa@ss-word@cam.local/x' failed", "ss-word"),
        ("rtsp://user:pa@ss@ss2@host:554/x", "ss2"),
        # ... and a password holding a raw '/' (the old pattern stopped there and masked nothing).
        ("open 'rtsp://user:pa/ss-word@host/x': timed out", "ss-word"),
        ("open rtsp://user:p?a#ss-word@host/x", "ss-word"),
        ("403 for http://10.0.0.8/snap.cgi?user=admin&password=hunter2&x=1", "hunter2"),
        ("two: rtsp://a:first-pw@h1/x and rtsp://b:second-pw@h2/y", "first-pw"),
        ("two: rtsp://a:first-pw@h1/x and rtsp://b:second-pw@h2/y", "second-pw"),
    ],
)
def test_scrub_leaves_nothing_of_the_password(text: str, secret: str) -> None:
    scrubbed = scrub(text)
    assert secret not in scrubbed
    assert "***" in scrubbed


def test_scrub_keeps_the_user_host_and_the_rest_of_the_text() -> None:
    text = "ConnectionRefusedError: [Errno 111] Connection refused: 'rtsp://admin:hunter2@127.0.0.1:554/s'"
    assert scrub(text) == "ConnectionRefusedError: [Errno 111] Connection refused: 'rtsp://admin:***@127.0.0.1:554/s'"
    assert scrub("x rtsp://user:pa@ss@host/x y") == "x rtsp://user:***@host/x y"
    assert scrub("no URL here: 5 @ 3") == "no URL here: 5 @ 3"
    assert scrub("http://h/p and rtsp://cam/x") == "http://h/p and rtsp://cam/x"


def test_redact_removes_the_known_password_even_without_its_url() -> None:
    url = "rtsp://admin:s%40cret-pw@10.0.0.5/x?token=tok-123"
    text = "auth failed for s@cret-pw (s%40cret-pw), token tok-123"
    redacted = redact(text, url)
    assert "cret-pw" not in redacted
    assert "tok-123" not in redacted


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x/y",
        "rtmp://x/live",
        "x",
        "rtsp:///nohost",
        "file://",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "rtsp://[fe80::1%25eth0]:554/x",
        "rtsp://127.0.0.1:554/x",
        "rtsp://127.1/x",
        "rtsp://2130706433/x",
        "rtsp://0x7f000001/x",
        "rtsp://[::1]/x",
        "rtsp://[::ffff:127.0.0.1]/x",
        "rtsp://localhost/x",
        "rtsp://LOCALHOST./x",
        "rtsp://cam.localhost/x",
        "rtsp://0.0.0.0:554/x",
        "rtsp://[::]/x",
        "rtsp://user:pa/ss@host/x",
    ],
)
def test_refused_urls_name_the_field(url: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        validate_stream_url(url, policy=STRICT)
    assert err.value.field == "url"


def test_refusal_never_quotes_the_password() -> None:
    with pytest.raises(InvalidInputError) as err:
        validate_stream_url("rtsp://admin:pa/ss-word@host/x", policy=STRICT)
    assert "ss-word" not in err.value.detail


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://admin:pw@10.0.0.5:554/stream1",
        "rtsps://cam.example.org/live",
        "http://192.168.1.20/mjpeg",
        "https://[2001:db8::5]/live.m3u8",
        "rtsp://172.17.0.3:8554/demo",
        "rtsp://169.255.0.1/x",
    ],
)
def test_cameras_on_ordinary_networks_are_accepted(url: str) -> None:
    assert validate_stream_url(f"  {url} ", policy=STRICT) == url


def test_configuration_relaxes_the_policy() -> None:
    for url in ("rtsp://127.0.0.1:8554/x", "rtsp://localhost/x", "rtsp://[::1]/x", "rtsp://[::ffff:127.0.0.1]/x"):
        assert validate_stream_url(url, policy=LOOPBACK_OK) == url
    # Allowing loopback does not allow the metadata endpoint.
    with pytest.raises(InvalidInputError):
        validate_stream_url("http://169.254.169.254/", policy=LOOPBACK_OK)
    assert validate_stream_url("file:///srv/footage.mp4", policy=UrlPolicy(allow_file=True))


def test_settings_build_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert IngestSettings().url_policy() == STRICT
    monkeypatch.setenv("CITYOPS_INGEST_ALLOW_FILE_URLS", "true")
    monkeypatch.setenv("CITYOPS_INGEST_ALLOW_URL_NETWORKS", '["127.0.0.0/8", "::1/128"]')
    assert IngestSettings().url_policy() == UrlPolicy(allow_file=True, allowed_networks=LOOPBACK_OK.allowed_networks)


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def fake(host: str, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [(family, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


async def test_registration_resolves_names(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "169.254.169.254")
    with pytest.raises(InvalidInputError) as err:
        await check_stream_url("http://rebind.example/x", policy=STRICT)
    assert err.value.field == "url"
    _resolving_to(monkeypatch, "10.1.2.3")
    assert await check_stream_url("http://cam.example/x", policy=STRICT) == "http://cam.example/x"


async def test_a_name_that_does_not_resolve_yet_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    assert await check_stream_url("rtsp://cam-7.site.example/x", policy=STRICT) == "rtsp://cam-7.site.example/x"


def test_stream_threads_refuse_a_name_that_now_points_at_a_blocked_range(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "127.0.0.1")
    with pytest.raises(BlockedUrlError) as err:
        refuse_blocked_target("rtsp://admin:hunter2@cam.example/x", STRICT)
    assert "hunter2" not in str(err.value)
    refuse_blocked_target("rtsp://cam.example/x", LOOPBACK_OK)
    with pytest.raises(BlockedUrlError):
        refuse_blocked_target("file:///etc/passwd", STRICT)


def test_masked_url_sent_back_keeps_stored_credentials() -> None:
    stored = "rtsp://admin:secret@10.0.0.5/stream1"
    assert (
        keep_masked_credentials("rtsp://admin:***@10.0.0.5/stream2", stored) == "rtsp://admin:secret@10.0.0.5/stream2"
    )
    # The whole-userinfo mask of earlier responses still works.
    assert keep_masked_credentials("rtsp://***@10.0.0.5/stream2", stored) == "rtsp://admin:secret@10.0.0.5/stream2"
    assert keep_masked_credentials("rtsp://other:pw@10.0.0.6/s", stored) == "rtsp://other:pw@10.0.0.6/s"
    with pytest.raises(InvalidInputError):
        keep_masked_credentials("rtsp://admin:***@10.0.0.9/stream1", stored)
    with pytest.raises(InvalidInputError):  # another user does not get admin's password
        keep_masked_credentials("rtsp://viewer:***@10.0.0.5/stream1", stored)


def test_masked_query_values_sent_back_keep_the_stored_ones() -> None:
    stored = "http://10.0.0.8/snap.cgi?user=admin&password=hunter2&channel=1"
    shown = mask_url(stored)
    assert keep_masked_credentials(shown.replace("channel=1", "channel=2"), stored) == stored.replace(
        "channel=1", "channel=2"
    )
    with pytest.raises(InvalidInputError):
        keep_masked_credentials("http://10.0.0.8/snap.cgi?token=***", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "rtsp://admin:s%40cret@10.0.0.5:554/stream1",
        "rtsp://admin:pa@ss@10.0.0.5/x",
        "http://10.0.0.8/snap.cgi?user=admin&pwd=hunter2",
        "rtsp://u:p@[fe80::1]:8554/x",
    ],
)
def test_round_trip_of_the_masked_form(stored: str) -> None:
    assert keep_masked_credentials(mask_url(stored), stored) == stored
