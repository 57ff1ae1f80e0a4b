"""Indicator thresholds: a written value crossing its indicator's limit starts (or ends) an alert.

Only values of the default option combo are judged: a limit is set on the indicator as a whole, and
one disaggregation's value (women only, say) is not that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.reports.datavalues.rules import IndicatorRule
from services.reports.datavalues.thresholds import repository
from shared.messages import AlertEvent
from shared.subjects import indicator_alert


@dataclass(frozen=True)
class ThresholdChange:
    subject: str
    event: AlertEvent


def breach(rule: IndicatorRule, value: float | None) -> str | None:
    """Why ``value`` breaches the indicator's thresholds, or None."""
    if value is None:
        return None
    if rule.alert_above is not None and value > rule.alert_above:
        return f"{rule.code} = {value:g} above threshold {rule.alert_above:g}"
    if rule.alert_below is not None and value < rule.alert_below:
        return f"{rule.code} = {value:g} below threshold {rule.alert_below:g}"
    return None


def _alert_id(indicator: str, department: str, period: str, started: datetime) -> str:
    # One id per breach episode: a value that breaches again later starts a new alert.
    key = f"{indicator}|{department}|{period}|{started.isoformat()}"
    return "ind-" + hashlib.sha1(key.encode()).hexdigest()[:16]


async def apply_thresholds(
    *,
    pg: asyncpg.Connection,
    watched: list[list[Any]],
    rules: Mapping[int, IndicatorRule],
    department_codes: Mapping[int, str],
    now: datetime,
) -> list[ThresholdChange]:
    """Update the breach state of each watched written value (indicator id, department id, period,
    number); return the alert events to publish. The caller (the import) passes the rules it has
    loaded, so that thresholds need nothing of the import."""
    if not watched:
        return []
    states = await repository.states(pg, [(w[0], w[1], w[2]) for w in watched])
    changes: list[ThresholdChange] = []
    for indicator_id, department_id, period, value in watched:
        rule = rules[indicator_id]
        dep_code = department_codes[department_id]
        reason = breach(rule, value)
        state = states.get((indicator_id, department_id, period))
        if state is not None and state["active"]:
            phase = "updated" if reason is not None else "ended"
            alert_id, started = state["alert_id"], state["started_at"]
        elif reason is not None:
            phase, alert_id, started = "started", _alert_id(rule.code, dep_code, period, now), now
        else:
            continue
        await repository.save_state(
            pg, (indicator_id, department_id, period), alert_id=alert_id, started=started, active=phase != "ended"
        )
        changes.append(
            ThresholdChange(
                indicator_alert(rule.code),
                AlertEvent(
                    alert_id=alert_id,
                    phase=phase,
                    source="indicator",
                    department=dep_code,
                    rule_id=rule.code,
                    rule_type="indicator_threshold",
                    rule_name=f"{rule.code} threshold",
                    started_at=started,
                    ended_at=now if phase == "ended" else None,
                    at=now,
                    detail=f"{reason or f'{rule.code} back within thresholds'} ({dep_code}, {period})",
                    count=int(value) if value is not None else None,
                ),
            )
        )
    return changes
