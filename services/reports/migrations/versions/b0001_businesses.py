"""Tourism businesses: registry, status history, price lists, inspections, violations.

Revision ID: b0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("businesses",)
depends_on: str | Sequence[str] | None = None
S = "reports"


def _created() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "business",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("licence_no", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("ward", sa.Text),
        sa.Column("lat", sa.Double),
        sa.Column("lon", sa.Double),
        sa.Column("owner_name", sa.Text),
        sa.Column("owner_phone", sa.Text),
        sa.Column("owner_email", sa.Text),
        sa.Column("rooms", sa.Integer),
        sa.Column("seats", sa.Integer),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_reason", sa.Text),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_business"),
        sa.UniqueConstraint("licence_no", name="uq_business_licence_no"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'closed')", name="ck_business_status"),
        schema=S,
    )
    op.create_index("ix_business_type", "business", ["type"], schema=S)
    op.create_index("ix_business_ward", "business", ["ward"], schema=S)
    op.execute(f"CREATE INDEX ix_business_name_lower ON {S}.business (lower(name) text_pattern_ops)")
    op.create_table(
        "business_status_change",
        sa.Column("id", sa.BigInteger, autoincrement=True, nullable=False),
        sa.Column("business_id", sa.Uuid, sa.ForeignKey(f"{S}.business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_business_status_change"),
        schema=S,
    )
    op.create_index("ix_business_status_change_business_id", "business_status_change", ["business_id"], schema=S)
    op.create_table(
        "price_list",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("business_id", sa.Uuid, sa.ForeignKey(f"{S}.business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_price_list"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="ck_price_list_period"),
        schema=S,
    )
    op.create_index("ix_price_list_business_id", "price_list", ["business_id"], schema=S)
    op.create_table(
        "price_item",
        sa.Column("id", sa.BigInteger, autoincrement=True, nullable=False),
        sa.Column("price_list_id", sa.Uuid, sa.ForeignKey(f"{S}.price_list.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("price_vnd", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_price_item"),
        sa.UniqueConstraint("price_list_id", "code", name="uq_price_item_price_list_id"),
        sa.CheckConstraint("price_vnd >= 0", name="ck_price_item_price"),
        schema=S,
    )
    op.create_index("ix_price_item_price_list_id", "price_item", ["price_list_id"], schema=S)
    op.create_table(
        "inspection",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("business_id", sa.Uuid, sa.ForeignKey(f"{S}.business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("inspected_on", sa.Date, nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("findings", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_inspection"),
        schema=S,
    )
    op.create_index("ix_inspection_business_id", "inspection", ["business_id"], schema=S)
    op.create_table(
        "violation",
        sa.Column("id", sa.BigInteger, autoincrement=True, nullable=False),
        sa.Column("inspection_id", sa.Uuid, sa.ForeignKey(f"{S}.inspection.id", ondelete="CASCADE"), nullable=False),
        sa.Column("business_id", sa.Uuid, sa.ForeignKey(f"{S}.business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("fine_vnd", sa.BigInteger),
        sa.Column("remedial_deadline", sa.Date),
        sa.Column("note", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_violation"),
        schema=S,
    )
    op.create_index("ix_violation_inspection_id", "violation", ["inspection_id"], schema=S)
    op.create_index("ix_violation_business_id", "violation", ["business_id"], schema=S)


def downgrade() -> None:
    for table in ("violation", "inspection", "price_item", "price_list", "business_status_change", "business"):
        op.drop_table(table, schema=S)
