"""RFC 9457 problem+json responses for every error a service can return."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import CityOpsError, InvalidInputError, RateLimitedError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("cityops.problems")


class InvalidParam(BaseModel):
    name: str
    reason: str
    location: str | None = None


class Problem(BaseModel):
    """Error body (RFC 9457); ``invalid_params`` names each bad field."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    invalid_params: list[InvalidParam] | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem+json answers with these status codes."""
    titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 409: "Conflict", 413: "Payload too large",
              422: "Invalid input", 429: "Too many requests", 503: "Unavailable"}  # fmt: skip
    return {code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": titles[code]} for code in codes}


PROBLEM_RESPONSES = problem_responses(404, 409, 422, 503)


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    invalid_params: Sequence[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    if invalid_params:
        body["invalid_params"] = [p.model_dump(exclude_none=True) for p in invalid_params]
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: Sequence[Any]) -> tuple[str, str | None]:
    parts = [str(p) for p in loc]
    where = parts[0] if parts and parts[0] in {"body", "query", "path", "header", "cookie"} else None
    name = ".".join(parts[1:] if where else parts) or (where or "body")
    return name, where


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    params = []
    for err in exc.errors():
        name, where = _field_name(err.get("loc", ()))
        params.append(InvalidParam(name=name, reason=str(err.get("msg", "invalid")), location=where))
    names = ", ".join(sorted({p.name for p in params}))
    return problem_response(
        422, "Invalid input", f"invalid field(s): {names}", instance=request.url.path, invalid_params=params
    )


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CityOpsError)
    params = None
    headers = None
    extra = dict(exc.extra)
    if isinstance(exc, InvalidInputError):
        params = [InvalidParam(name=exc.field, reason=exc.detail)]
    elif "field" in extra:
        # Any other refusal about one field (a body too large) names it the same way.
        params = [InvalidParam(name=str(extra.pop("field")), reason=exc.detail)]
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(exc.retry_after_s)}
    if exc.status >= 500:
        log.warning("request.failed", extra={"path": request.url.path, "status": exc.status, "error": exc.detail})
    return problem_response(
        exc.status,
        exc.title,
        exc.detail,
        instance=request.url.path,
        invalid_params=params,
        headers=headers,
        **extra,
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(
        exc.status_code,
        title=str(exc.detail) if exc.detail else "Error",
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


def _conflicting_value(exc: DBAPIError) -> bool:
    """A unique, foreign-key or check constraint said no: SQLSTATE class 23."""
    return isinstance(exc, IntegrityError) or str(getattr(exc.orig, "sqlstate", "") or "").startswith("23")


def _refused_value(exc: DBAPIError) -> bool:
    """A value the database (or the driver, before sending it) cannot take: SQLSTATE class 22."""
    if isinstance(exc, DataError):
        return True
    orig = exc.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        if isinstance(candidate, asyncpg.exceptions.DataError):
            return True
        if str(getattr(candidate, "sqlstate", "") or "").startswith("22"):
            return True
    return False


async def _database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if _conflicting_value(exc):
        # Usually two writers racing for the same unique key: the loser is told, nothing is broken.
        detail = str(exc.orig).splitlines()[0][:300]
        return problem_response(409, "Conflict", f"conflicts with stored data: {detail}", instance=request.url.path)
    if not _refused_value(exc):
        return await _unhandled_handler(request, exc)
    # The database refused a value the API let through (out-of-range integer, NUL byte in text…):
    # the request was wrong, not the server.
    reason = str(exc.orig).splitlines()[0][:300]
    log.info("request.invalid_value", extra={"path": request.url.path, "error": reason})
    return problem_response(
        422,
        "Invalid input",
        f"a value was refused by the database: {reason}",
        instance=request.url.path,
        invalid_params=[InvalidParam(name="request", reason=reason)],
    )


async def _too_deep_handler(request: Request, exc: Exception) -> JSONResponse:
    # json.loads recurses per nesting level: a hostile body like "[[[[…]]]]" must not be a 500.
    return problem_response(
        422,
        "Invalid input",
        "body is nested too deeply",
        instance=request.url.path,
        invalid_params=[InvalidParam(name="body", reason="nested too deeply")],
    )


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request.unhandled_error", extra={"path": request.url.path})
    return problem_response(500, "Internal error", "unexpected server error", instance=request.url.path)


def add_problem_handlers(app: FastAPI) -> None:
    """Map validation, HTTP and domain errors to problem+json, once for the whole app."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(CityOpsError, _domain_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
    app.add_exception_handler(RecursionError, _too_deep_handler)
    app.add_exception_handler(Exception, _unhandled_handler)
