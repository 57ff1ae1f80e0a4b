"""Asynchronous DHIS2 imports (``async=true``): the request answers at once with a job, the import runs
in the background, and ``system/tasks`` / ``system/taskSummaries`` report it.

Jobs are rows of ``reports.dhis2_job``, so any replica answers the polls; the work itself runs in the
replica that accepted it, and a job whose replica stops before it finishes stays unfinished (the client
sees ``completed: false`` and sends the set again: a re-sent set changes nothing already stored).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from services.reports.datavalues.dhis2 import repository
from shared.db import Database
from shared.errors import NotFoundError
from shared.identity import Caller

log = logging.getLogger("cityops.reports.dhis2")

DATAVALUE_IMPORT = "DATAVALUE_IMPORT"
JOB_TYPES = frozenset({DATAVALUE_IMPORT})
_LETTERS = string.ascii_letters
_ALNUM = string.ascii_letters + string.digits
# Background imports still running, held so that they are not garbage-collected mid-way.
_RUNNING: set[asyncio.Task[None]] = set()


def new_uid() -> str:
    """A DHIS2-style id: 11 characters, a letter first."""
    return secrets.choice(_LETTERS) + "".join(secrets.choice(_ALNUM) for _ in range(10))


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}"


async def start(
    *, database: Database, caller: Caller, job_type: str, work: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Record the job, start ``work`` in the background, and return DHIS2's job description."""
    job_id, now = new_uid(), datetime.now(UTC)
    async with database.session() as session:
        await repository.insert_job(session, job_id=job_id, user=caller.name, job_type=job_type, at=now)
    task = asyncio.create_task(_run(database, job_id, work))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return {
        "name": "dataValueImport",
        "id": job_id,
        "created": _stamp(now),
        "jobType": job_type,
        "relativeNotifierEndpoint": f"/api/system/tasks/{job_type}/{job_id}",
    }


async def _run(database: Database, job_id: str, work: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    try:
        summary = await work()
    except Exception:
        # The job must end either way; the client learns that it failed, the log says why.
        log.exception("reports.dhis2_job_failed", extra={"job_id": job_id})
        summary = {"responseType": "ImportSummary", "status": "ERROR", "description": "Import process failed"}
    async with database.session() as session:
        await repository.finish_job(session, job_id=job_id, summary=summary, at=datetime.now(UTC))


async def _job(database: Database, caller: Caller, job_type: str, job_id: str) -> Any:
    if job_type not in JOB_TYPES:
        raise NotFoundError(f"unknown task category '{job_type}'")
    async with database.session() as session:
        row = await repository.job(session, job_id=job_id, user=caller.name, job_type=job_type)
    if row is None:  # another user's jobs are not theirs to poll, as in DHIS2
        raise NotFoundError(f"no task {job_id} of category {job_type}")
    return row


async def notifications(*, database: Database, caller: Caller, job_type: str, job_id: str) -> list[dict[str, Any]]:
    """The job's notifications, newest first, the last one ``completed`` once the import ended."""
    row = await _job(database, caller, job_type, job_id)
    started = {
        "uid": f"{job_id}-0",
        "level": "INFO",
        "category": job_type,
        "time": _stamp(row.created_at),
        "message": "Import started",
        "completed": False,
    }
    if row.finished_at is None:
        return [started]
    failed = (row.summary or {}).get("status") == "ERROR"
    done = {
        "uid": f"{job_id}-1",
        "level": "ERROR" if failed else "INFO",
        "category": job_type,
        "time": _stamp(row.finished_at),
        "message": "Import failed" if failed else "Import done",
        "completed": True,
    }
    return [done, started]


async def summary(*, database: Database, caller: Caller, job_type: str, job_id: str) -> dict[str, Any]:
    """The finished job's ImportSummary; empty while it runs."""
    row = await _job(database, caller, job_type, job_id)
    return dict(row.summary or {})
