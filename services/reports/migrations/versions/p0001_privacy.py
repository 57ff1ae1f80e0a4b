"""Retention and data-subject rights: when a case's reporter contact was anonymised, the log of
erasures an officer made (who, when, why, how many records; the subject only as a keyed hash), and the
phone numbers and e-mail addresses of reporters and business owners indexed in their normal form.

The phone keys are generated columns: PostgreSQL computes them on every write, so no writer of cases or
businesses (API, Open311, CSV import, business requests) has to know about them. Their expression is the
steps of ``shared.personal.phone`` (tests/reports/test_privacy.py checks they agree).

Revision ID: p0001_privacy
Revises: o3110001_open311
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "p0001_privacy"
down_revision: str | Sequence[str] | None = "o3110001_open311"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
S = "reports"
TZ = sa.DateTime(timezone=True)


def phone_key(column: str) -> str:
    """Digits only, without an international 00, then without the trunk 0 or the country code 84."""
    digits = rf"regexp_replace(regexp_replace({column}, '\D', '', 'g'), '^00', '')"
    return (
        f"CASE WHEN {digits} LIKE '0%' THEN substr({digits}, 2) "
        f"WHEN {digits} LIKE '84%' AND length({digits}) IN (11, 12) THEN substr({digits}, 3) "
        f"ELSE {digits} END"
    )


def upgrade() -> None:
    op.add_column("city_case", sa.Column("contact_anonymised_at", TZ, nullable=True), schema=S)
    for table, prefix in (("city_case", "reporter"), ("business", "owner")):
        key = f"{prefix}_phone_key"
        op.add_column(
            table, sa.Column(key, sa.Text, sa.Computed(phone_key(f"{prefix}_phone"), persisted=True)), schema=S
        )
        op.create_index(f"ix_{table}_{key}", table, [key], schema=S)
        op.create_index(f"ix_{table}_{prefix}_email_key", table, [sa.text(f"lower(btrim({prefix}_email))")], schema=S)
    # The retention sweep looks only at final cases that still hold a contact.
    op.create_index(
        "ix_city_case_contact_retention",
        "city_case",
        ["closed_at"],
        schema=S,
        postgresql_where=sa.text(
            "status IN ('closed', 'rejected') AND "
            "(reporter_name IS NOT NULL OR reporter_phone IS NOT NULL OR reporter_email IS NOT NULL)"
        ),
    )
    op.create_table(
        "privacy_erasure",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("subject_kind", sa.Text, nullable=False),
        sa.Column("subject_kid", sa.Text, nullable=False),
        sa.Column("subject_hash", sa.Text, nullable=False),
        sa.Column("counts", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_erasure"),
        sa.CheckConstraint("action IN ('anonymise', 'erase')", name="ck_privacy_erasure_action"),
        sa.CheckConstraint("subject_kind IN ('phone', 'email')", name="ck_privacy_erasure_subject_kind"),
        schema=S,
    )
    op.create_index("ix_privacy_erasure_subject_hash", "privacy_erasure", ["subject_hash"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_privacy_erasure_subject_hash", "privacy_erasure", schema=S)
    op.drop_table("privacy_erasure", schema=S)
    op.drop_index("ix_city_case_contact_retention", "city_case", schema=S)
    for table, prefix in (("city_case", "reporter"), ("business", "owner")):
        op.drop_index(f"ix_{table}_{prefix}_email_key", table, schema=S)
        op.drop_index(f"ix_{table}_{prefix}_phone_key", table, schema=S)
        op.drop_column(table, f"{prefix}_phone_key", schema=S)
    op.drop_column("city_case", "contact_anonymised_at", schema=S)
