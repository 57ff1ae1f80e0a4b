"""Query-parameter types every service's API shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _utc(value: datetime) -> datetime:
    # Converting a far-off instant with an offset (0001-01-01T00:00+05:00) overflows ``datetime``;
    # checked here, it is the caller's 422 naming the parameter instead of a 500 in the driver.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the representable years 1-9999 once converted to UTC") from None


# A point in time a client asks about, in UTC; a time without an offset is taken as UTC, not as the
# server's local time, so the answer does not depend on where a replica runs.
Instant = Annotated[datetime, AfterValidator(_utc)]
