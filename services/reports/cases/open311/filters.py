"""The query of ``GET requests``, from its raw parameters, with GeoReport v2's rules: a list of
``service_request_id`` overrides every other argument; otherwise the dates span at most 90 days and
default to the most recent 90 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from services.reports.cases.open311.repository import RequestFilter
from shared.errors import InvalidInputError
from shared.params import Instant

WINDOW = timedelta(days=90)
STATUSES = ("open", "closed")
_INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)


def _list(raw: str | None) -> list[str]:
    return [x.strip() for x in (raw or "").split(",") if x.strip()]


def _ids(raw: str | None) -> list[int]:
    try:
        ids = [int(x) for x in _list(raw)]
    except ValueError:
        raise InvalidInputError(
            "service_request_id must be comma-separated request ids", field="service_request_id"
        ) from None
    if any(not 0 < i < 2**63 for i in ids):
        raise InvalidInputError("service_request_id holds an id out of range", field="service_request_id")
    return ids


def _instant(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        return _INSTANT.validate_python(raw)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise InvalidInputError(
            f"{name} must be a W3C date and time (2010-01-01T00:00:00Z): {reason}", field=name
        ) from None


def _window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if start > end:
        raise InvalidInputError("start_date is after end_date", field="start_date")
    if end - start > WINDOW:
        raise InvalidInputError("start_date and end_date may not span more than 90 days", field="start_date")
    return start, end


def request_filter(
    *,
    service_request_id: str | None,
    service_code: str | None,
    start_date: str | None,
    end_date: str | None,
    status: str | None,
    now: datetime,
) -> RequestFilter:
    if ids := _ids(service_request_id):
        return RequestFilter(ids=ids)
    statuses = _list(status)
    if bad := [s for s in statuses if s not in STATUSES]:
        raise InvalidInputError(f"status must be open or closed (comma-separated), not {bad[0][:20]!r}", field="status")
    start, end = _window(_instant(start_date, "start_date"), _instant(end_date, "end_date"), now)
    return RequestFilter(service_codes=_list(service_code), start=start, end=end, statuses=statuses)
