"""The table of personal access tokens (``Authorization: ApiToken d2pat_…``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.gateway.auth.models import User
from services.gateway.db import Base

SCHEMA = "gateway"


class PersonalToken(Base):
    __tablename__ = "personal_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # DHIS2's identifier of the token (11 characters, a letter first): what clients list and delete by.
    uid: Mapped[str] = mapped_column(String(11), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the token, the key it is found by (190 random bits: a fast hash is as safe as a slow one).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # DHIS2's constraints; an empty list allows any.
    allowed_ips: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    allowed_methods: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    allowed_referrers: Mapped[list[str]] = mapped_column(ARRAY(String(500)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Loaded with the token: every use checks the user is still active and takes its current roles.
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @property
    def username(self) -> str:
        return self.user.username
