"""What every DHIS2 route shares: the caller, and errors as DHIS2 WebMessages (not problem+json, which
DHIS2 clients do not read)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from services.reports.access import authenticated
from shared.deps import verified_caller
from shared.errors import UnauthorizedError
from shared.identity import Caller

STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
}


def dhis2_caller(request: Request) -> Caller | None:
    try:
        return authenticated(verified_caller(request))
    except UnauthorizedError:
        return None


def unauthorized() -> JSONResponse:
    return JSONResponse(
        {"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"},
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="DHIS2"'},
    )


def web_message(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {
            "httpStatus": STATUS_TEXT.get(status, "Error"),
            "httpStatusCode": status,
            "status": "ERROR",
            "message": message,
            **extra,
        },
        status_code=status,
    )
