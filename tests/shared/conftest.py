"""Fixtures of the shared-plumbing tests: a throwaway Alembic migrations folder for schema ``svc``."""

from __future__ import annotations

from pathlib import Path

import pytest

REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}


def upgrade() -> None:
    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text),
                    schema="svc")
"""


def revision(rev: str, down: str | None, table: str) -> str:
    """A revision creating ``svc.<table>`` after ``down`` (None: the first)."""
    return REVISION.format(rev=rev, down=f'"{down}"' if down else "None", table=table)


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    """Migrations with the services' env.py and one revision, 0001, creating ``svc.thing``."""
    src = Path(__file__).resolve().parents[2] / "services" / "ingest" / "migrations" / "env.py"
    d = tmp_path / "migrations"
    (d / "versions").mkdir(parents=True)
    (d / "env.py").write_text(src.read_text())
    (d / "script.py.mako").write_text("")
    (d / "versions" / "0001_thing.py").write_text(revision("0001", None, "thing"))
    return d
