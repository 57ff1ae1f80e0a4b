"""Request-scoped helpers of the city-cases routes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from services.reports.cases.access import authenticated
from shared.identity import Caller
from shared.service import Runtime


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


def caller(request: Request) -> Caller:
    return authenticated(request.headers)


def public_caller(request: Request) -> Caller:
    """Anyone, signed in or not (Open311 and rating links are public)."""
    return Caller.from_headers(request.headers)


def utcnow() -> datetime:
    return datetime.now(UTC)


RuntimeDep = Annotated[Runtime, Depends(runtime)]
CallerDep = Annotated[Caller, Depends(caller)]
PublicCallerDep = Annotated[Caller, Depends(public_caller)]
