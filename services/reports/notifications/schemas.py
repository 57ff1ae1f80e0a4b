"""DTOs of notifications: webhooks and contacts (``XIn``/``XPatch``/``XOut``) and the delivery log.

A webhook's secret goes in and never comes out: responses say ``secret_set``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from shared.messages import Severity

# alert.*: camera and indicator alerts; incident.*: outage incidents (AlertEvent source="outage");
# case.* and directive.*: reports' own events; alert.escalated: an unacknowledged alert reached a level;
# briefing.weekly: the links to last week's city briefing, every week (settings.briefing_weekly).
Event = Literal[
    "alert.started",
    "alert.ended",
    "alert.escalated",
    "incident.started",
    "incident.updated",
    "incident.ended",
    "case.created",
    "case.overdue",
    "directive.overdue",
    "briefing.weekly",
]
DeliveryStatus = Literal["pending", "delivered", "dead"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Department = Annotated[str, StringConstraints(min_length=1, max_length=40)]
# Long enough to resist guessing (HMAC keys shorter than this are easily brute-forced offline).
Secret = Annotated[SecretStr, Field(min_length=16, max_length=256)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")]
Level = Annotated[int, Field(ge=1, le=9, description="escalation level: notified after level × N minutes")]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    url: Url
    secret: Secret
    events: list[Event] = Field(min_length=1, max_length=20)
    departments: list[Department] = Field(default_factory=list, max_length=100)
    min_severity: Severity = "info"
    active: bool = True


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    url: Url | None = None
    secret: Secret | None = None
    events: list[Event] | None = Field(None, min_length=1, max_length=20)
    departments: list[Department] | None = Field(None, max_length=100)
    min_severity: Severity | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    url: str
    secret_set: bool
    events: list[str]
    departments: list[str]
    min_severity: str
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class ContactIn(BaseModel):
    """A person notified by e-mail of ``events``, of alert escalations reaching ``level``, and of the
    overdue cases and directives of ``department`` (all of them when ``leader``)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    department: Department | None = None
    level: Level | None = None
    leader: bool = False
    events: list[Event] = Field(default_factory=list, max_length=20)
    min_severity: Severity = "info"
    active: bool = True


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None
    department: Department | None = None
    level: Level | None = None
    leader: bool | None = None
    events: list[Event] | None = Field(None, max_length=20)
    min_severity: Severity | None = None
    active: bool | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    email: str
    department: str | None
    level: int | None
    leader: bool
    events: list[str]
    min_severity: str
    active: bool
    created_at: datetime
    updated_at: datetime


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: Literal["webhook", "email"]
    webhook_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    event: str
    subject: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status: int | None
    created_at: datetime
    delivered_at: datetime | None
