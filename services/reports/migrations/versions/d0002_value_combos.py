"""Disaggregated values: a data value's key gains its category option combo (DHIS2's ``co``), so one
indicator can hold e.g. a value for women and one for men in the same department and period; every
existing value is the default combo's (id 1).

An option combo also records which category options it stands for (``{"SEX": "F"}``): ADX names
disaggregations that way instead of by option combo. Asynchronous DHIS2 imports are tracked in
``dhis2_job`` so that whichever replica a client polls can report them.

Revision ID: d0002_value_combos
Revises: d0001_dhis2_ids
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "d0002_value_combos"
down_revision: str | Sequence[str] | None = "d0001_dhis2_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "reports"


def upgrade() -> None:
    op.add_column(
        "category_option_combo",
        sa.Column("options", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        schema=S,
    )
    for table in ("data_value", "data_value_audit"):
        op.add_column(
            table,
            sa.Column(
                "category_option_combo_id",
                sa.Integer(),
                sa.ForeignKey(f"{S}.category_option_combo.id"),
                server_default="1",
                nullable=False,
            ),
            schema=S,
        )
    # The combo is the key's last column: lookups by indicator, department and period keep their index.
    op.execute(f"ALTER TABLE {S}.data_value DROP CONSTRAINT pk_data_value")
    op.execute(
        f"ALTER TABLE {S}.data_value ADD CONSTRAINT pk_data_value "
        "PRIMARY KEY (indicator_id, department_id, period, category_option_combo_id)"
    )
    op.create_table(
        "dhis2_job",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("job_type", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("summary", JSONB()),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("dhis2_job", schema=S)
    op.execute(f"DELETE FROM {S}.data_value WHERE category_option_combo_id <> 1")
    op.execute(f"ALTER TABLE {S}.data_value DROP CONSTRAINT pk_data_value")
    op.execute(
        f"ALTER TABLE {S}.data_value ADD CONSTRAINT pk_data_value PRIMARY KEY (indicator_id, department_id, period)"
    )
    for table in ("data_value", "data_value_audit"):
        op.drop_column(table, "category_option_combo_id", schema=S)
    op.drop_column("category_option_combo", "options", schema=S)
