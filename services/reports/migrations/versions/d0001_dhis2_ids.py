"""DHIS2 identifiers: a stable 11-character UID (letter first) on every department, indicator and form,
and category combos with their option combos (DHIS2's disaggregations), the default ones with DHIS2's
well-known UIDs so that clients sending ``HllvX50cXC0`` mean the default as on any DHIS2.

The UID is drawn by the database (``reports.dhis2_uid()``) as the column default, so every way a row
is created (the API, the seed, the traffic roads) gets one, and existing rows get theirs here.

Revision ID: d0001_dhis2_ids
Revises: n0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0001_dhis2_ids"
down_revision: str | Sequence[str] | None = "n0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "reports"
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = LETTERS + "0123456789"
DEFAULT_COMBO_UID = "bjDvmb4bfuf"
DEFAULT_OPTION_COMBO_UID = "HllvX50cXC0"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {S}.dhis2_uid() RETURNS text LANGUAGE sql VOLATILE AS $$
            SELECT substr('{LETTERS}', 1 + floor(random() * 52)::int, 1)
                || string_agg(substr('{ALNUM}', 1 + floor(random() * 62)::int, 1), '')
            FROM generate_series(1, 10)
        $$
        """
    )
    for table in ("department", "indicator", "report_form"):
        uid = sa.Column("uid", sa.Text(), server_default=sa.text(f"{S}.dhis2_uid()"), nullable=False)
        op.add_column(table, uid, schema=S)
        op.create_unique_constraint(f"uq_{table}_uid", table, ["uid"], schema=S)
    op.create_table(
        "category_combo",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.Text(), server_default=sa.text(f"{S}.dhis2_uid()"), nullable=False, unique=True),
        sa.Column("code", sa.Text(), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        schema=S,
    )
    op.create_table(
        "category_option_combo",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.Text(), server_default=sa.text(f"{S}.dhis2_uid()"), nullable=False, unique=True),
        sa.Column("code", sa.Text(), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "category_combo_id",
            sa.Integer(),
            sa.ForeignKey(f"{S}.category_combo.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        schema=S,
    )
    op.execute(
        f"INSERT INTO {S}.category_combo (id, uid, code, name) VALUES (1, '{DEFAULT_COMBO_UID}', 'default', 'default')"
    )
    op.execute(
        f"INSERT INTO {S}.category_option_combo (id, uid, code, name, category_combo_id) "
        f"VALUES (1, '{DEFAULT_OPTION_COMBO_UID}', 'default', 'default', 1)"
    )
    for table in ("category_combo", "category_option_combo"):
        op.execute(f"SELECT setval(pg_get_serial_sequence('{S}.{table}', 'id'), 1)")
    # Every indicator is disaggregated by a combo; the default one (a single "default" option combo).
    op.add_column(
        "indicator",
        sa.Column(
            "category_combo_id",
            sa.Integer(),
            sa.ForeignKey(f"{S}.category_combo.id"),
            server_default="1",
            nullable=False,
        ),
        schema=S,
    )


def downgrade() -> None:
    op.drop_column("indicator", "category_combo_id", schema=S)
    op.drop_table("category_option_combo", schema=S)
    op.drop_table("category_combo", schema=S)
    for table in ("department", "indicator", "report_form"):
        op.drop_column(table, "uid", schema=S)
    op.execute(f"DROP FUNCTION {S}.dhis2_uid()")
