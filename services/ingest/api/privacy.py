"""Redaction of a picture another service keeps: for the gateway, which sends an alert's snapshot here on
its way to a caller without raw footage. Not in the gateway's public routes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.ingest.privacy import service
from shared.deps import VerifiedCallerDep, capped_body
from shared.errors import InvalidInputError
from shared.problems import PROBLEM_RESPONSES

# A camera's JPEG snapshot is well under this; more is not a snapshot.
MAX_PICTURE_BYTES = 8 * 1024 * 1024

router = APIRouter(prefix="/privacy", tags=["privacy"], responses=PROBLEM_RESPONSES)


@router.post(
    "/redactions",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
    summary="A JPEG picture with faces and number plates pixelated",
)
async def redact(request: Request, _: VerifiedCallerDep) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip() != "image/jpeg":
        raise InvalidInputError("send the picture as image/jpeg", field="content-type")
    body = await capped_body(request, max_bytes=MAX_PICTURE_BYTES, what="a picture")
    jpeg = await service.redact_picture(jpeg=body)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
