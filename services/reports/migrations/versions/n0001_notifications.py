"""Notifications: webhook subscriptions, e-mail contacts, deliveries (queue and log), alert escalations and
the case and directive deadlines announced as overdue.

Revision ID: n0001
Revises: r0003_category_public
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "n0001"
down_revision: str | Sequence[str] | None = "s0001_case_suggestions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "reports"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notify_webhook",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret_kid", sa.Text(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("events", ARRAY(sa.Text()), nullable=False),
        sa.Column("departments", ARRAY(sa.Text()), nullable=False),
        sa.Column("min_severity", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        schema=S,
    )
    op.create_table(
        "notify_contact",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("leader", sa.Boolean(), nullable=False),
        sa.Column("events", ARRAY(sa.Text()), nullable=False),
        sa.Column("min_severity", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        schema=S,
    )
    op.create_table(
        "notify_delivery",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "webhook_id",
            sa.Uuid(),
            sa.ForeignKey(
                f"{S}.notify_webhook.id", ondelete="CASCADE", name="fk_notify_delivery_webhook_id_notify_webhook"
            ),
            nullable=True,
        ),
        sa.Column(
            "contact_id",
            sa.Uuid(),
            sa.ForeignKey(
                f"{S}.notify_contact.id", ondelete="CASCADE", name="fk_notify_delivery_contact_id_notify_contact"
            ),
            nullable=True,
        ),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'dead')", name="ck_notify_delivery_status"),
        sa.CheckConstraint("(webhook_id IS NULL) <> (contact_id IS NULL)", name="ck_notify_delivery_one_target"),
        schema=S,
    )
    op.execute(
        f"CREATE UNIQUE INDEX uq_notify_delivery_target_event ON {S}.notify_delivery "
        "(webhook_id, contact_id, event_key) NULLS NOT DISTINCT"
    )
    op.execute(f"CREATE INDEX ix_notify_delivery_due ON {S}.notify_delivery (next_attempt_at) WHERE status = 'pending'")
    op.create_index("ix_notify_delivery_created", "notify_delivery", ["created_at"], schema=S)
    op.create_table(
        "notify_escalation",
        sa.Column("alert_id", sa.Text(), primary_key=True),
        sa.Column("alert", sa.LargeBinary(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("due_at", TZ, nullable=True),
        sa.Column("acknowledged_at", TZ, nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        schema=S,
    )
    op.execute(f"CREATE INDEX ix_notify_escalation_due ON {S}.notify_escalation (due_at) WHERE due_at IS NOT NULL")
    op.create_table(
        "notify_overdue",
        sa.Column("kind", sa.Text(), primary_key=True),
        sa.Column("ref", sa.Text(), primary_key=True),
        sa.Column("deadline", TZ, primary_key=True),
        sa.Column("at", TZ, nullable=False),
        schema=S,
    )


def downgrade() -> None:
    for table in ("notify_overdue", "notify_escalation", "notify_delivery", "notify_contact", "notify_webhook"):
        op.drop_table(table, schema=S)
