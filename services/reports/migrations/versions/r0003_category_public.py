"""Case categories carry a ``public`` flag: only public ones are offered to anonymous Open311 callers.

Existing and new categories start private (an administrator publishes one deliberately); the seeded
citizen-facing ones are published here. Internal kinds stay private: business requests, indicator
alerts and site clearance (compensation cases name households and amounts).

Revision ID: r0003_category_public
Revises: r0002_outbox_msg_id
"""

from collections.abc import Sequence

from alembic import op

revision: str = "r0003_category_public"
down_revision: str | Sequence[str] | None = "r0002_outbox_msg_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC = (
    "tourism_price_gouging",
    "tourism_touting",
    "tourism_unlisted_price",
    "beach_safety",
    "citizen_complaint",
    "public_order",
    "traffic",
    "environment",
    "infrastructure",
    "food_safety",
)


def upgrade() -> None:
    op.execute("ALTER TABLE reports.case_category ADD COLUMN public boolean NOT NULL DEFAULT false")
    codes = ", ".join(f"'{code}'" for code in PUBLIC)
    op.execute(f"UPDATE reports.case_category SET public = true WHERE code IN ({codes})")


def downgrade() -> None:
    op.execute("ALTER TABLE reports.case_category DROP COLUMN public")
