"""Response bodies of the alert → case suggestions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SuggestionOut(BaseModel):
    """An alert whose rule suggests a case: open it with ``POST /cases/from-alert/{alert_id}``."""

    alert_id: str
    camera: str | None
    rule_id: str | None
    rule_name: str | None
    rule_type: str
    severity: str
    phase: str  # of the latest message: is the alert still going on?
    started_at: datetime
    suggested_at: datetime
    case_id: int | None  # set once the case is opened
