"""Tables of camera groups and display walls."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.ingest.db import SCHEMA, Base


class GroupRow(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    members: Mapped[list[GroupMemberRow]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="GroupMemberRow.position"
    )


class GroupMemberRow(Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(
        String(64), ForeignKey(f"{SCHEMA}.groups.id", ondelete="CASCADE"), primary_key=True
    )
    camera_id: Mapped[str] = mapped_column(
        String(64), ForeignKey(f"{SCHEMA}.cameras.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)


class WallRow(Base):
    __tablename__ = "walls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    cols: Mapped[int] = mapped_column(Integer)
    cells: Mapped[list[WallCellRow]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="(WallCellRow.row, WallCellRow.col)"
    )


class WallCellRow(Base):
    __tablename__ = "wall_cells"
    __table_args__ = (UniqueConstraint("wall_id", "camera_id"),)

    wall_id: Mapped[str] = mapped_column(
        String(64), ForeignKey(f"{SCHEMA}.walls.id", ondelete="CASCADE"), primary_key=True
    )
    row: Mapped[int] = mapped_column(Integer, primary_key=True)
    col: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[str] = mapped_column(
        String(64), ForeignKey(f"{SCHEMA}.cameras.id", ondelete="CASCADE"), index=True
    )
