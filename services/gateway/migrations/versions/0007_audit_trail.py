"""The access trail: audit lines get a kind (``write`` for every line before, views and copies of footage,
reads of contact details), the camera, case and subject (HMACs of phone numbers and emails) they concern,
the reason given, and a hash chain; the table becomes append-only.

The lines written before are chained here, in id order from the genesis (``audit/chain.py``), so the
check command covers the whole log. No role may change or remove a line: a trigger refuses UPDATE and
DELETE (and TRUNCATE) for everyone, the owner included unless the owner disables it; the service role is
also granted no UPDATE, DELETE or TRUNCATE on the table (``shared.db.grant_statements``: a table with a
trigger named ``append_only``).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.gateway.audit.chain import GENESIS, line_hash

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "gateway"
T = "audit_log"


def _chain_existing() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT id, at, actor, kind, method, path, status, client, detail FROM {S}.{T} ORDER BY id")
    ).mappings()
    prev = GENESIS
    updates = []
    for row in rows:
        fields = {**row, "camera": None, "case_id": None, "subject": None, "reason": None}
        digest = line_hash(prev, fields)
        updates.append({"id": row["id"], "prev": prev, "hash": digest})
        prev = digest
    if updates:
        bind.execute(sa.text(f"UPDATE {S}.{T} SET prev_hash = :prev, hash = :hash WHERE id = :id"), updates)


def upgrade() -> None:
    op.add_column(T, sa.Column("kind", sa.String(32), server_default="write", nullable=False), schema=S)
    op.alter_column(T, "kind", server_default=None, schema=S)
    op.add_column(T, sa.Column("camera", sa.String(64)), schema=S)
    op.add_column(T, sa.Column("case_id", sa.String(64)), schema=S)
    op.add_column(T, sa.Column("subject", postgresql.ARRAY(sa.String(64))), schema=S)
    op.add_column(T, sa.Column("reason", sa.Text), schema=S)
    op.add_column(T, sa.Column("prev_hash", sa.String(64)), schema=S)
    op.add_column(T, sa.Column("hash", sa.String(64)), schema=S)
    _chain_existing()
    op.alter_column(T, "prev_hash", nullable=False, schema=S)
    op.alter_column(T, "hash", nullable=False, schema=S)
    op.create_index("ix_audit_log_kind", T, ["kind"], schema=S)
    op.create_index("ix_audit_log_camera", T, ["camera"], schema=S)
    op.create_index("ix_audit_log_case_id", T, ["case_id"], schema=S)
    op.create_index("ix_audit_log_subject", T, ["subject"], schema=S, postgresql_using="gin")
    op.execute(
        f"""
        CREATE FUNCTION {S}.audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {S}.{T} "
        f"FOR EACH ROW EXECUTE FUNCTION {S}.audit_log_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {S}.{T} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {S}.audit_log_refuse_change()"
    )


def downgrade() -> None:
    op.execute(f"DROP TRIGGER append_only_truncate ON {S}.{T}")
    op.execute(f"DROP TRIGGER append_only ON {S}.{T}")
    op.execute(f"DROP FUNCTION {S}.audit_log_refuse_change()")
    for index in ("subject", "case_id", "camera", "kind"):
        op.drop_index(f"ix_audit_log_{index}", T, schema=S)
    for column in ("hash", "prev_hash", "reason", "subject", "case_id", "camera", "kind"):
        op.drop_column(T, column, schema=S)
