"""One migration history for the reports schema: the merge of the four branches it grew (department
data ``0001``, businesses ``b000x``, cases ``c000x``, the outbox ``e0001``).

A database at the old heads upgrades here without any change to its tables; every later revision
follows this one, so the schema has a single head again.

Revision ID: r0001_one_history
Revises: 0001_reports_initial, b0002, c0003_cases_sort_indexes, e0001_outbox
"""

from collections.abc import Sequence

revision: str = "r0001_one_history"
down_revision: str | Sequence[str] | None = (
    "0001_reports_initial",
    "b0002",
    "c0003_cases_sort_indexes",
    "e0001_outbox",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A merge point: the tables are already what the merged branches made them."""


def downgrade() -> None:
    """Back to the four heads, with nothing to undo."""
