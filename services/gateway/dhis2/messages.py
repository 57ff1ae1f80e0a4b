"""DHIS2's WebMessage: the body of every DHIS2 error and of answers to writes (``httpStatus``,
``httpStatusCode``, ``status``, ``message``, ``response``), for what the gateway answers on ``/dhis2``."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.responses import Response

from shared.errors import CityOpsError, RateLimitedError

PREFIX = "/dhis2/"
# DHIS2 asks for HTTP Basic (or a personal access token) in this realm.
CHALLENGE = 'Basic realm="DHIS2"'
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def web_message(status: int, *, message: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "httpStatus": HTTPStatus(status).phrase,
        "httpStatusCode": status,
        "status": "OK" if status < 400 else "ERROR",
    }
    if message is not None:
        body["message"] = message
    return {**body, **extra}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A DHIS2 error; a 401 says how to authenticate (RFC 9110 11.6.1), as DHIS2 does."""
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = CHALLENGE
    return JSONResponse(web_message(status, message=message), status_code=status, headers=headers)


def _message(exc: Exception) -> tuple[int, str, dict[str, str]]:
    if isinstance(exc, RequestValidationError):
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) or "body" for e in exc.errors()})
        return 422, f"invalid field(s): {', '.join(fields)}", {}
    assert isinstance(exc, CityOpsError)
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimitedError) else {}
    return exc.status, exc.detail, headers


def errors_on_dhis2_paths(fallback: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    """An exception handler answering errors on ``/dhis2`` as WebMessages (DHIS2 clients read those) and
    leaving every other path to ``fallback`` (problem+json)."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(PREFIX) or (isinstance(exc, CityOpsError) and exc.status >= 500):
            answer = fallback(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return error_response(*_message(exc))

    return handle
