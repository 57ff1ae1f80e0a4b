"""City cases: indexes behind the list's sort fields, so a sorted page is an index walk on a million
cases instead of a sort of all of them.

Revision ID: c0003_cases_sort_indexes
Revises: c0002_cases_clearance
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c0003_cases_sort_indexes"
down_revision: str | None = "c0002_cases_clearance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTED = ("received_at", "updated_at", "due_at")


def upgrade() -> None:
    for column in SORTED:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_city_case_{column}_id ON reports.city_case ({column}, id)")


def downgrade() -> None:
    for column in SORTED:
        op.execute(f"DROP INDEX IF EXISTS reports.ix_city_case_{column}_id")
