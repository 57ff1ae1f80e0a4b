"""Request-scoped dependencies of the reports routes beyond ``shared.deps``: the caller and the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query
from pydantic import StringConstraints

from services.reports.access import authenticated, require_admin
from services.reports.businesses.settings import BusinessSettings, get_business_settings
from shared.deps import VerifiedCallerDep
from shared.identity import Caller


def caller(c: VerifiedCallerDep) -> Caller:
    return authenticated(c)


def admin(c: Annotated[Caller, Depends(caller)]) -> Caller:
    require_admin(c)
    return c


def utcnow() -> datetime:
    return datetime.now(UTC)


CallerDep = Annotated[Caller, Depends(caller)]
# Anyone, signed in or not (Open311, rating links and the public business lookup are public).
PublicCallerDep = VerifiedCallerDep
AdminDep = Annotated[Caller, Depends(admin)]
BusinessSettingsDep = Annotated[BusinessSettings, Depends(get_business_settings)]

# Query parameters of the managed and the public business search.
SearchText = Annotated[str | None, Query(max_length=200, description="part of the name, or the exact licence number")]
TypeCode = Annotated[str, StringConstraints(max_length=40)]
WardCode = Annotated[str, StringConstraints(max_length=100)]
