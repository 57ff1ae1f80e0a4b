"""The shared query-parameter types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.params import Instant

INSTANT = TypeAdapter(Instant)


def test_an_instant_is_normalised_to_utc_and_a_naive_one_is_taken_as_utc() -> None:
    assert INSTANT.validate_python("2026-11-25T07:00:00+07:00") == datetime(2026, 11, 25, tzinfo=UTC)
    naive = INSTANT.validate_python("2026-11-25T00:00:00")
    assert naive == datetime(2026, 11, 25, tzinfo=UTC)
    assert naive.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_an_instant_that_overflows_once_in_utc_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError, match="representable"):
        INSTANT.validate_python(text)
    # The edge itself is fine.
    assert INSTANT.validate_python(datetime(1, 1, 1, tzinfo=UTC)).year == 1
