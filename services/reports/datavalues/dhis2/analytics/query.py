"""Reading an analytics request: ``dimension=dx:a;b``, ``filter=ou:USER_ORGUNIT`` and the options, checked
as DHIS2 checks them (its E71xx error codes, 409)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.reports.datavalues.dhis2.ids import Schemes
from shared.errors import ConflictError, InvalidInputError

DATA, PERIOD, ORG_UNIT = "dx", "pe", "ou"
DISPLAY_NAMES = {DATA: "Data", PERIOD: "Period", ORG_UNIT: "Organisation unit"}
# Options that would change the numbers and that cityops does not implement: refused rather than ignored.
UNSUPPORTED_OPTIONS = (
    "aggregationType",
    "measureCriteria",
    "preAggregationMeasureCriteria",
    "startDate",
    "endDate",
    "approvalLevel",
    "timeField",
    "orgUnitField",
    "userOrgUnit",
)
_TRUE = "true"


class AnalyticsQueryError(ConflictError):
    """An illegal analytics query: DHIS2 answers 409 with a WebMessage carrying ``errorCode``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, error_code=code)
        self.error_code = code


@dataclass(frozen=True)
class Dimension:
    id: str
    items: tuple[str, ...]
    filter: bool


@dataclass(frozen=True)
class AnalyticsQuery:
    dimensions: tuple[Dimension, ...]  # dx first, then the others in the request's order
    filters: tuple[Dimension, ...]
    input_schemes: Schemes
    output_schemes: Schemes
    skip_meta: bool
    skip_data: bool
    skip_rounding: bool
    relative_period_date: date | None

    def of(self, dimension_id: str) -> Dimension | None:
        return next((d for d in (*self.dimensions, *self.filters) if d.id == dimension_id), None)


def _dimension(text: str, *, is_filter: bool) -> Dimension:
    dim_id, _, items = text.partition(":")
    dim_id = dim_id.strip()
    if dim_id not in DISPLAY_NAMES:
        if dim_id in ("co", "ao"):
            raise AnalyticsQueryError(
                "E7125", f"Dimension `{dim_id}` (disaggregations) is not supported by cityops analytics"
            )
        raise AnalyticsQueryError("E7125", f"Dimension identifier does not reference any dimension: `{dim_id}`")
    values = tuple(i.strip() for i in items.split(";") if i.strip())
    if not values:
        raise AnalyticsQueryError(
            "E7124", f"Dimension is present in query without any valid dimension options: `{dim_id}`"
        )
    return Dimension(dim_id, values, is_filter)


def _flag(options: Mapping[str, str], name: str) -> bool:
    return options.get(name, "").strip().lower() == _TRUE


def _output_schemes(options: Mapping[str, str]) -> Schemes:
    """``outputIdScheme`` for every kind, ``outputOrgUnitIdScheme`` / ``outputDataElementIdScheme`` (or
    ``outputDataItemIdScheme``) for theirs, in the names ``Schemes`` reads."""
    params: dict[str, str] = {}
    if "outputIdScheme" in options:
        params["idScheme"] = options["outputIdScheme"]
    for name, kind in (
        ("outputDataItemIdScheme", "dataElement"),
        ("outputDataElementIdScheme", "dataElement"),
        ("outputOrgUnitIdScheme", "orgUnit"),
    ):
        if options.get(name):
            params[f"{kind}IdScheme"] = options[name]
    return _schemes(params, "outputIdScheme")


def _schemes(params: Mapping[str, str], name: str) -> Schemes:
    try:
        return Schemes.from_params(params)
    except InvalidInputError as exc:  # it names the internal parameter: name the client's
        raise AnalyticsQueryError("E7100", f"{name}: {exc.detail}") from None


def parse_query(*, dimensions: Sequence[str], filters: Sequence[str], options: Mapping[str, str]) -> AnalyticsQuery:
    if not dimensions:
        raise AnalyticsQueryError("E7101", "At least one dimension must be specified")
    for name in UNSUPPORTED_OPTIONS:
        if options.get(name):
            raise AnalyticsQueryError("E7100", f"Query parameter `{name}` is not supported by cityops analytics")
    if _flag(options, "tableLayout"):
        raise AnalyticsQueryError("E7100", "Query parameter `tableLayout` is not supported by cityops analytics")
    dims = [_dimension(d, is_filter=False) for d in dimensions]
    filts = [_dimension(f, is_filter=True) for f in filters]
    seen: set[str] = set()
    for d in dims:
        if d.id in seen:
            raise AnalyticsQueryError("E7111", f"Dimensions cannot be specified more than once: `{d.id}`")
        seen.add(d.id)
    for f in filts:
        if f.id in seen:
            raise AnalyticsQueryError(
                "E7103", f"Dimensions cannot be specified as dimension and filter simultaneously: `{f.id}`"
            )
        seen.add(f.id)
    if DATA not in seen:
        raise AnalyticsQueryError(
            "E7102", "At least one data dimension item or data element group set dimension item must be specified"
        )
    if PERIOD not in seen:
        raise AnalyticsQueryError(
            "E7104", "At least one period as dimension or filter, or start and dates, must be specified"
        )
    input_scheme = options.get("inputIdScheme", "UID")
    relative = options.get("relativePeriodDate")
    try:
        relative_day = date.fromisoformat(relative[:10]) if relative else None
    except ValueError:
        raise AnalyticsQueryError("E7135", f"Date time is not parsable: `{relative}`") from None
    return AnalyticsQuery(
        dimensions=tuple(sorted(dims, key=lambda d: d.id != DATA)),
        filters=tuple(filts),
        input_schemes=_schemes({"idScheme": input_scheme}, "inputIdScheme"),
        output_schemes=_output_schemes(options),
        skip_meta=_flag(options, "skipMeta"),
        skip_data=_flag(options, "skipData"),
        skip_rounding=_flag(options, "skipRounding"),
        relative_period_date=relative_day,
    )
