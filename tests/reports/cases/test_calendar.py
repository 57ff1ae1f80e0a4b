"""The working-day calendar: weekends, Vietnamese public holidays, deadlines at office close."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.reports.cases.calendar import VIETNAM, add_working_days, deadline, is_working_day


def test_weekends_and_holidays_are_not_working_days() -> None:
    assert is_working_day(date(2026, 2, 13))  # Friday
    assert not is_working_day(date(2026, 2, 14))  # Saturday
    # Tết Bính Ngọ 2026: 16–20 February.
    assert not any(is_working_day(date(2026, 2, d)) for d in range(16, 21))
    assert not is_working_day(date(2025, 9, 2))  # National Day
    assert not is_working_day(date(2025, 4, 30))
    assert not is_working_day(date(2026, 4, 27))  # Hùng Kings' day observed (26 April is a Sunday)


def test_add_working_days_skips_tet() -> None:
    assert add_working_days(date(2026, 2, 12), 1) == date(2026, 2, 13)
    # Friday 13 Feb 2026 + 1 working day jumps the weekend and the whole Tết break.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 25)
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 2, 13), 0)


@pytest.mark.parametrize(
    ("received", "days", "due_local"),
    [
        # Friday evening, emergency (1 working day): Monday 17:00.
        (datetime(2026, 3, 6, 20, 0, tzinfo=VIETNAM), 1, datetime(2026, 3, 9, 17, 0, tzinfo=VIETNAM)),
        # Received on a Saturday: the next working day is day 1.
        (datetime(2026, 3, 7, 9, 0, tzinfo=VIETNAM), 1, datetime(2026, 3, 9, 17, 0, tzinfo=VIETNAM)),
        # Quick (3 days) from Tuesday 28 Apr 2026: 30 Apr and 1 May are holidays → Tue 5 May.
        (datetime(2026, 4, 28, 10, 0, tzinfo=VIETNAM), 3, datetime(2026, 5, 5, 17, 0, tzinfo=VIETNAM)),
        # 23:30 UTC on Thursday is already Friday in Việt Nam.
        (datetime(2026, 3, 5, 23, 30, tzinfo=UTC), 1, datetime(2026, 3, 9, 17, 0, tzinfo=VIETNAM)),
    ],
)
def test_deadline(received: datetime, days: int, due_local: datetime) -> None:
    due = deadline(received, days)
    assert due == due_local
    assert due.tzinfo is UTC
