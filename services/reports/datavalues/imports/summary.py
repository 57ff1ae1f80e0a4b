"""What an import was asked to do (strategy, dry run, atomic) and what it did: counts and per-row conflicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from shared.errors import InvalidInputError

Strategy = Literal["create", "update", "create_and_update", "delete"]
# A value's key in reports.data_value: (indicator_id, department_id, period, category_option_combo_id).
Key = tuple[int, int, str, int]


@dataclass(frozen=True)
class ImportOptions:
    strategy: Strategy = "create_and_update"
    dry_run: bool = False
    atomic: bool = False


@dataclass(slots=True)
class Conflict:
    row: int
    field: str
    value: str | None
    reason: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "reason": self.reason, "code": self.code}


@dataclass
class Summary:
    import_id: str
    options: ImportOptions
    total: int
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def status(self) -> Literal["SUCCESS", "WARNING", "ERROR"]:
        if not self.conflicts:
            return "SUCCESS"
        if self.options.atomic or self.ignored == self.total:
            return "ERROR"
        return "WARNING"

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "status": self.status,
            "dry_run": self.options.dry_run,
            "strategy": self.options.strategy,
            "atomic": self.options.atomic,
            "total": self.total,
            "counts": {
                "imported": self.imported,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": [c.as_dict() for c in self.conflicts],
        }


@dataclass
class ImportResult:
    summary: dict[str, Any]
    replayed: bool = False


def parse_strategy(value: str) -> Strategy:
    v = value.strip().lower()
    if v not in ("create", "update", "create_and_update", "delete"):
        raise InvalidInputError(
            f"unknown strategy '{value}' (create, update, create_and_update, delete)", field="strategy"
        )
    return v  # type: ignore[return-value]
