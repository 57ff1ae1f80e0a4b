"""Who may call: the jurisdiction a call names, and the client application behind an ``api_key``.

A GeoReport ``api_key`` identifies an application, not a person. Only the SHA-256 of each key is
configured (``CITYOPS_REPORTS_OPEN311_API_KEYS``); a posted key is hashed and compared in constant
time, and is never logged or echoed.
"""

from __future__ import annotations

import hashlib
import hmac

from services.reports.cases.open311.settings import Open311Settings
from shared.errors import ForbiddenError, InvalidInputError, NotFoundError


def check_jurisdiction(jurisdiction_id: str | None, settings: Open311Settings) -> None:
    """404 for a jurisdiction this endpoint does not serve; 400 when it serves several and none is named."""
    if not jurisdiction_id:
        if len(settings.jurisdictions) > 1:
            raise InvalidInputError("jurisdiction_id is required here (several are served)", field="jurisdiction_id")
        return
    if jurisdiction_id not in settings.jurisdictions:
        raise NotFoundError(f"jurisdiction_id '{jurisdiction_id[:100]}' is not served here")


def client_of(api_key: str | None, settings: Open311Settings) -> str | None:
    """The name of the application holding ``api_key``; None when no keys are configured (submitting
    needs none). 403 when keys are configured and this one is missing or unknown."""
    if not settings.api_keys:
        return None
    if not api_key:
        raise ForbiddenError("api_key is required to submit a service request")
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    found = None
    for name, expected in settings.api_keys.items():
        # Every key is compared, so the time taken does not tell which one came close.
        if hmac.compare_digest(digest, expected):
            found = name
    if found is None:
        raise ForbiddenError("invalid api_key: cannot submit a service request")
    return found
