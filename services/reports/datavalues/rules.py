"""An indicator's rules for its values: checking one pushed value (type, range, canonical text).

Shared by the import and the thresholds, so that neither needs the other."""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.reports.datavalues.periods import PeriodType

_TRUE = frozenset({"true", "1", "yes", "y", "có"})
_FALSE = frozenset({"false", "0", "no", "n", "không"})
MAX_TEXT = 2000
_WHOLE_OK = frozenset({"integer", "number", "percentage"})


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    id: int
    code: str
    value_type: str
    aggregation: str
    period_type: PeriodType
    min_value: float | None
    max_value: float | None
    alert_above: float | None
    alert_below: float | None
    # The disaggregation its values are reported by (DHIS2 category combo); 1 is the default one.
    category_combo_id: int = 1

    @property
    def watched(self) -> bool:
        return self.alert_above is not None or self.alert_below is not None


class InvalidValue(ValueError):
    """The value does not fit the indicator; ``code`` is the machine-readable reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def normalise_value(rule: IndicatorRule, raw: object) -> tuple[str, float | None]:
    """Return (canonical text, numeric value) or raise ``InvalidValue``.

    Canonical text makes "12", "12.0" and 12 the same value, so that a re-send is "unchanged".
    """
    vt = rule.value_type
    # Fast path for the common case, plain non-negative whole numbers (called once per pushed value).
    if type(raw) is str and vt in _WHOLE_OK and raw.isascii() and raw.isdigit() and len(raw) < 16:
        whole = int(raw)
        num = float(whole)
        in_range = (rule.min_value is None or num >= rule.min_value) and (
            rule.max_value is None or num <= rule.max_value
        )
        if in_range and (vt != "percentage" or num <= 100.0):
            return str(whole), num
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidValue("E_VALUE_MISSING", "value is required")
    if vt == "text":
        text = raw if isinstance(raw, str) else str(raw)
        if len(text) > MAX_TEXT:
            raise InvalidValue("E_VALUE_TOO_LONG", f"text longer than {MAX_TEXT} characters")
        return text, None
    if vt == "boolean":
        if isinstance(raw, bool):
            return ("true" if raw else "false"), (1.0 if raw else 0.0)
        s = str(raw).strip().lower()
        if s in _TRUE:
            return "true", 1.0
        if s in _FALSE:
            return "false", 0.0
        raise InvalidValue("E_VALUE_TYPE", f"'{raw}' is not a boolean (true/false)")
    if isinstance(raw, bool):
        raise InvalidValue("E_VALUE_TYPE", f"{raw} is not a {vt}")
    try:
        num = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip().replace(",", "."))
    except ValueError:
        raise InvalidValue("E_VALUE_TYPE", f"'{raw}' is not a {vt}") from None
    if not math.isfinite(num):
        raise InvalidValue("E_VALUE_TYPE", f"'{raw}' is not a finite {vt}")
    if vt == "integer" and not num.is_integer():
        raise InvalidValue("E_VALUE_TYPE", f"'{raw}' is not an integer")
    if vt == "percentage" and not 0.0 <= num <= 100.0:
        raise InvalidValue("E_VALUE_RANGE", f"{_fmt_number(num)} is not a percentage between 0 and 100")
    if rule.min_value is not None and num < rule.min_value:
        raise InvalidValue("E_VALUE_RANGE", f"{_fmt_number(num)} is below the minimum {_fmt_number(rule.min_value)}")
    if rule.max_value is not None and num > rule.max_value:
        raise InvalidValue("E_VALUE_RANGE", f"{_fmt_number(num)} is above the maximum {_fmt_number(rule.max_value)}")
    return _fmt_number(num), num
