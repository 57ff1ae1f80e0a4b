"""The public page's reports (public through the gateway, rate-limited per client there): file one with
a photo, follow it and ask to rate it by its tracking code; and the photo for staff who read the case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import ValidationError

from services.reports.api.cases.open311 import attributes_of
from services.reports.api.deps import CallerDep, PublicCallerDep, utcnow
from services.reports.cases.open311.schemas import RequestIn
from services.reports.cases.tracking import service
from services.reports.cases.tracking.photos import MAX_BYTES
from services.reports.cases.tracking.schemas import FiledOut, RatingLinkOut, TrackedOut
from shared.deps import SessionDep
from shared.errors import InvalidInputError, PayloadTooLargeError
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/public/v1/reports", tags=["public"], responses=PROBLEM_RESPONSES)
photos = APIRouter(prefix="/cases", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, summary="Report a problem (a published category), with an optional photo")
async def file_report(
    request: Request,
    session: SessionDep,
    caller: PublicCallerDep,
    service_code: Annotated[str, Form(max_length=64)],
    lat: Annotated[float, Form(ge=-90, le=90)],
    long: Annotated[float, Form(ge=-180, le=180)],
    description: Annotated[str, Form(max_length=4_000)] = "",
    address: Annotated[str | None, Form(max_length=500)] = None,
    share_photo_location: Annotated[bool, Form()] = False,
    photo: Annotated[UploadFile | None, File(description=f"JPEG, PNG or WebP, at most {MAX_BYTES} bytes")] = None,
) -> FiledOut:
    """Also takes the category's ``attribute[code]`` fields, as Open311 does (its service definition)."""
    params: dict[str, list[str]] = {}
    for key, value in (await request.form()).multi_items():
        if isinstance(value, str):
            params.setdefault(key, []).append(value)
    try:
        request_in = RequestIn(
            service_code=service_code,
            lat=lat,
            long=long,
            description=description,
            address_string=address,
            attributes=attributes_of(params),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise InvalidInputError(f"{field}: {err['msg']}", field=field) from None
    data = await photo.read(MAX_BYTES + 1) if photo is not None else None
    if data is not None and len(data) > MAX_BYTES:
        raise PayloadTooLargeError(f"a photo is at most {MAX_BYTES} bytes")
    return await service.file_report(
        session=session,
        request_in=request_in,
        photo=data or None,
        share_photo_location=share_photo_location,
        caller=caller,
        now=utcnow(),
    )


@router.get("/{code}", summary="Follow a report by its tracking code: status and public timeline")
async def follow(code: str, session: SessionDep) -> TrackedOut:
    return await service.follow(session=session, code=code)


@router.post("/{code}/rating-link", status_code=201, summary="A one-time link to rate the handled report")
async def rating_link(code: str, session: SessionDep) -> RatingLinkOut:
    return await service.rating_link(session=session, code=code, now=utcnow())


@photos.get(
    "/{case_id}/photos/{photo_id}",
    summary="A photo sent with a public report (JPEG)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def case_photo(case_id: int, photo_id: int, session: SessionDep, caller: CallerDep) -> Response:
    found = await service.photo_for_staff(session=session, case_id=case_id, photo_id=photo_id, caller=caller)
    return Response(found.data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})
