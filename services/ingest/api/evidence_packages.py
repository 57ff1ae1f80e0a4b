"""Evidence package routes: thin wrappers over ``evidence.service``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import FileResponse, PlainTextResponse

from services.ingest.evidence import service
from services.ingest.evidence.builder import PackageBuilder
from services.ingest.evidence.schemas import EvidencePackageIn, EvidencePackageOut
from shared.deps import SessionDep, VerifiedCallerDep
from shared.problems import PROBLEM_RESPONSES


def _builder(request: Request) -> PackageBuilder:
    builder: PackageBuilder = request.app.state.evidence
    return builder


BuilderDep = Annotated[PackageBuilder, Depends(_builder)]

router = APIRouter(prefix="/evidence-packages", tags=["evidence"], responses=PROBLEM_RESPONSES)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Package cameras' footage of a range as signed evidence (built in the background; poll its status)",
)
async def create_package(
    body: EvidencePackageIn, session: SessionDep, caller: VerifiedCallerDep, builder: BuilderDep
) -> EvidencePackageOut:
    return await service.create_package(
        session=session,
        package_in=body,
        caller=caller,
        signer=builder.signer,
        max_cameras=builder.settings.evidence_max_cameras,
        wake=builder.wake,
    )


@router.get(
    "/public-key",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/x-pem-file": {}}}},
    summary="The Ed25519 public key (PEM) that verifies package signatures",
)
async def public_key(builder: BuilderDep) -> PlainTextResponse:
    return PlainTextResponse(service.public_key(signer=builder.signer), media_type="application/x-pem-file")


@router.get("/{package_id}", summary="A package: status, progress, and its download once ready")
async def get_package(package_id: uuid.UUID, session: SessionDep) -> EvidencePackageOut:
    return await service.get_package(session=session, package_id=package_id)


@router.get(
    "/{package_id}/download",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}, 409: {"description": "not ready yet"}},
    summary="The package ZIP: one MP4 per camera, manifest.json, manifest.sig",
)
async def download_package(
    package_id: uuid.UUID, session: SessionDep, caller: VerifiedCallerDep, builder: BuilderDep
) -> FileResponse:
    found = await service.download_package(session=session, package_id=package_id, store=builder.store, caller=caller)
    return FileResponse(found.path, media_type="application/zip", filename=found.filename)
