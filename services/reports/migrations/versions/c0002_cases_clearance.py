"""City cases: site-clearance details of a case (parcel, household, handover stage, obstacle).

Revision ID: c0002_cases_clearance
Revises: c0001_cases_initial
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c0002_cases_clearance"
down_revision: str | None = "c0001_cases_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE reports.city_case ADD COLUMN clearance jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE reports.city_case DROP COLUMN clearance")
