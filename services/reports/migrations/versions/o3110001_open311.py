"""Open311 GeoReport v2 in full: categories define service attributes and an Open311 type; requests keep
their token, client application and attribute values.

The price-gouging category is given the attributes a complaint needs (the bill, the business, the
listed price), so the service definition is useful from the start.

Revision ID: o3110001_open311
Revises: d0002_value_combos
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "o3110001_open311"
down_revision: str | Sequence[str] | None = "d0002_value_combos"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "reports"

PRICE_GOUGING = [
    {
        "code": "bill_amount",
        "variable": True,
        "datatype": "number",
        "required": True,
        "datatype_description": "amount charged, in VND",
        "order": 1,
        "description": "How much were you asked to pay?",
        "values": [],
        "values_from": None,
    },
    {
        "code": "business",
        "variable": True,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": None,
        "order": 2,
        "description": "Which registered business was it?",
        "values": [],
        "values_from": "businesses",
    },
    {
        "code": "listed_price",
        "variable": True,
        "datatype": "number",
        "required": False,
        "datatype_description": "price on the business's posted list, in VND",
        "order": 3,
        "description": "What does its posted price list say?",
        "values": [],
        "values_from": None,
    },
]


def upgrade() -> None:
    op.add_column("case_category", sa.Column("attributes", JSONB, nullable=False, server_default="[]"), schema=S)
    op.add_column(
        "case_category", sa.Column("open311_type", sa.Text, nullable=False, server_default="realtime"), schema=S
    )
    op.add_column(
        "case_category",
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_check_constraint(
        "ck_case_category_open311_type",
        "case_category",
        "open311_type IN ('realtime', 'batch', 'blackbox')",
        schema=S,
    )
    op.execute(
        sa.text(
            f"UPDATE {S}.case_category SET attributes = CAST(:attrs AS jsonb) WHERE code = 'tourism_price_gouging'"
        ).bindparams(attrs=json.dumps(PRICE_GOUGING))
    )
    op.create_table(
        "open311_request",
        sa.Column("case_id", sa.BigInteger, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("client", sa.Text),
        sa.Column("attributes", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_open311_request"),
        sa.UniqueConstraint("token", name="uq_open311_request_token"),
        sa.ForeignKeyConstraint(
            ["case_id"], [f"{S}.city_case.id"], name="fk_open311_request_case_id_city_case", ondelete="CASCADE"
        ),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("open311_request", schema=S)
    op.drop_constraint("ck_case_category_open311_type", "case_category", schema=S)
    op.drop_column("case_category", "updated_at", schema=S)
    op.drop_column("case_category", "open311_type", schema=S)
    op.drop_column("case_category", "attributes", schema=S)
