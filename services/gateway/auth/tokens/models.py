"""A login (a family of refresh tokens, each used once) and its refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.gateway.db import Base

SCHEMA = "gateway"


class TokenFamily(Base):
    """One login: every refresh token rotated from it, and the access tokens they bought (claim ``sid``)."""

    __tablename__ = "token_family"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.user.id", ondelete="CASCADE"), index=True)
    # The user's token generation at login: a later change of credentials ends the family too.
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Fixed at login: rotation does not extend it (a login lasts a shift, not for ever).
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(Base):
    __tablename__ = "refresh_token"

    # SHA-256 of the token (256 random bits: a fast hash is as safe as a slow one); never the token.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.token_family.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set when it is exchanged, or replaced by a retry of the exchange that issued it; presenting it
    # again is a replay and ends the family (unless it is a retry of its own exchange, see ``parent_hash``).
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The token exchanged for this one (None for a login's first): a retry of that exchange, its answer
    # lost on the way, finds the unused child here and replaces it rather than ending the login.
    parent_hash: Mapped[str | None] = mapped_column(String(64), index=True)
