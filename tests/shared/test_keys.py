"""Key sets (shared.keys) and identity tokens (shared.identity), in process."""

from __future__ import annotations

import base64
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr

from shared.errors import UnauthorizedError
from shared.identity import Caller, sign_identity, verify_identity
from shared.keys import KeyConfigError, KeySet, format_keys, parse_keys
from shared.settings import ServiceSettings

SECRET = b"a secret of at least thirty-two bytes"
SECRET_B64 = base64.b64encode(SECRET).decode()


def test_entries_parse_in_order_from_commas_or_lines_in_either_base64_alphabet() -> None:
    other = os.urandom(48)
    text = f" k1:{SECRET_B64},\nk-2:{base64.urlsafe_b64encode(other).decode().rstrip('=')}\n"
    keys = parse_keys(text, source="X")
    assert [(k.kid, k.secret) for k in keys] == [("k1", SECRET), ("k-2", other)]
    assert parse_keys(format_keys({"a": SECRET, "b": other}), source="X")[1].secret == other


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "X holds no key"),
        (SECRET_B64, "X, entry 1: expected kid:base64secret"),
        (f"k1:{SECRET_B64},k2:", "X, entry 2: expected kid:base64secret"),
        (f"bad kid*:{SECRET_B64}", "entry 1: expected"),
        (f"k*1:{SECRET_B64}", "key id must be"),
        ("k1:%%%%not-base64", "(kid k1): secret is not base64"),
        ("k1:c2hvcnQ=", "(kid k1): secret has 5 bytes, needs at least 32"),
        (f"k1:{SECRET_B64},k1:{SECRET_B64}", "key id k1 is listed twice"),
    ],
)
def test_a_malformed_key_list_is_a_clear_error_without_the_secret(text: str, said: str) -> None:
    with pytest.raises(KeyConfigError) as raised:
        parse_keys(text, source="X")
    assert said in str(raised.value)
    assert SECRET_B64 not in str(raised.value)
    assert "c2hvcnQ" not in str(raised.value)


def test_no_secret_in_repr_or_settings_repr() -> None:
    keys = KeySet(variable="CITYOPS_SERVICE_KEYS", value=SecretStr(f"k1:{SECRET_B64}"))
    assert repr(keys) == "KeySet(CITYOPS_SERVICE_KEYS, environment, kids=['k1'])"
    assert SECRET_B64 not in repr(keys.signing)
    assert str(SECRET) not in repr(keys.signing)
    settings = ServiceSettings(service_keys=SecretStr(f"k1:{SECRET_B64}"))
    assert SECRET_B64 not in repr(settings)
    assert settings.service_key_set().kids == ["k1"]


def test_nothing_configured_names_both_variables() -> None:
    for value in (None, SecretStr("  ")):
        with pytest.raises(KeyConfigError, match=r"set CITYOPS_X_FILE to a file .* \(or CITYOPS_X to the entries"):
            KeySet(variable="CITYOPS_X", value=value)


def test_the_file_wins_and_is_read_again_when_it_changes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "keys"
    path.write_text(format_keys({"file1": SECRET}))
    keys = KeySet(variable="CITYOPS_X", value=SecretStr(format_keys({"env": SECRET})), file=path)
    assert keys.kids == ["file1"]
    path.write_text(format_keys({"file2": SECRET, "file1": SECRET}))
    os.utime(path, ns=(1, 1))  # a new stamp even within the clock's resolution
    assert keys.signing.kid == "file2"
    assert keys.verifying("file1") is not None
    assert keys.verifying("env") is None
    with caplog.at_level(logging.WARNING, logger="cityops.keys"):
        path.write_text("file3:short")
        assert keys.kids == ["file2", "file1"]  # the last good keys stay
        assert keys.kids == ["file2", "file1"]
        path.unlink()
        assert keys.kids == ["file2", "file1"]
    failures = [r for r in caplog.records if r.getMessage() == "keys.reload_failed"]
    assert len(failures) == 2  # once per change, not once per use
    assert SECRET_B64 not in caplog.text


def test_an_unreadable_file_at_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="cannot read"):
        KeySet(variable="CITYOPS_X", file=tmp_path / "absent")


def test_identity_tokens_name_the_caller_for_one_audience_only() -> None:
    keys = KeySet(variable="X", value=SecretStr(format_keys({"k1": SECRET})))
    caller = Caller(name="tc-officer", kind="api_key", departments=frozenset({"TCKH"}))
    token = sign_identity(keys, caller, audience="reports")
    assert verify_identity(keys, token, audience="reports") == caller
    with pytest.raises(UnauthorizedError, match="another service"):
        verify_identity(keys, token, audience="ingest")
    old = datetime.now(UTC) - timedelta(seconds=120)
    with pytest.raises(UnauthorizedError, match="expired"):
        verify_identity(keys, sign_identity(keys, caller, audience="reports", now=old), audience="reports")
    other = KeySet(variable="X", value=SecretStr(format_keys({"k1": b"x" * 32})))
    with pytest.raises(UnauthorizedError, match="invalid"):
        verify_identity(other, token, audience="reports")
    with pytest.raises(ValueError, match="1-60 s"):
        sign_identity(keys, caller, audience="reports", ttl_s=3600)


def test_raw_footage_reaches_a_service_only_inside_the_signed_token() -> None:
    keys = KeySet(variable="X", value=SecretStr(format_keys({"k1": SECRET})))
    raw = Caller(name="investigator", roles=frozenset({"admin"}), raw_footage=True)
    assert verify_identity(keys, sign_identity(keys, raw, audience="ingest"), audience="ingest").raw_footage
    plain = sign_identity(keys, raw.model_copy(update={"raw_footage": False}), audience="ingest")
    assert not verify_identity(keys, plain, audience="ingest").raw_footage
    # A token re-signed with the flag by anyone without the service keys is refused.
    claims = jwt.decode(plain, options={"verify_signature": False})
    forged = jwt.encode({**claims, "raw_footage": True}, b"y" * 32, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(UnauthorizedError, match="invalid"):
        verify_identity(keys, forged, audience="ingest")
