"""Domain exceptions shared by every service, mapped once to problem+json responses.

    CityOpsError                 500
    ├── InvalidInputError        422   (names the offending field)
    ├── NotFoundError            404
    ├── ConflictError            409
    ├── UnauthorizedError        401
    ├── ForbiddenError           403
    ├── PayloadTooLargeError     413
    ├── RangeNotSatisfiableError 416
    ├── RateLimitedError         429   (carries Retry-After)
    └── UnavailableError         503   (a dependency is down)

Domain code raises these; only ``shared.problems`` turns them into HTTP.
"""

from __future__ import annotations

from typing import Any


class CityOpsError(Exception):
    status = 500
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInputError(CityOpsError):
    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, *, field: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.field = field


class NotFoundError(CityOpsError):
    status = 404
    title = "Not found"


class ConflictError(CityOpsError):
    status = 409
    title = "Conflict"


class UnauthorizedError(CityOpsError):
    status = 401
    title = "Unauthorized"


class ForbiddenError(CityOpsError):
    status = 403
    title = "Forbidden"


class PayloadTooLargeError(CityOpsError):
    status = 413
    title = "Payload too large"


class RangeNotSatisfiableError(CityOpsError):
    status = 416
    title = "Range not satisfiable"


class RateLimitedError(CityOpsError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_s = retry_after_s


class UnavailableError(CityOpsError):
    status = 503
    title = "Service unavailable"
