"""The reports outbox (``shared.outbox``) on the service's ``reports.outbox`` table.

Every event of the service (case and directive changes, data imports, indicator threshold alerts)
is staged here in the transaction of the change it describes, and relayed to JetStream once committed.
"""

from __future__ import annotations

from services.reports.db import Base
from shared.outbox import Outbox, OutboxRow


class OutboxEvent(OutboxRow, Base):
    __tablename__ = "outbox"


OUTBOX = Outbox(OutboxEvent, service="reports")
