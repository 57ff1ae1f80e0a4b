"""Notifications (administrators): webhook subscriptions, e-mail contacts, the delivery log and replay."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.reports.api.deps import AdminDep, utcnow
from services.reports.notifications import service
from services.reports.notifications.repository import DELIVERY_ORDER
from services.reports.notifications.schemas import (
    ContactIn,
    ContactOut,
    ContactPatch,
    DeliveryOut,
    DeliveryStatus,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from services.reports.notifications.settings import NotifySettings, get_notify_settings
from services.reports.settings import get_settings
from shared.deps import SessionDep
from shared.keys import KeySet
from shared.pagination import Cursor, Limit, Page
from shared.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=PROBLEM_RESPONSES)
SettingsDep = Annotated[NotifySettings, Depends(get_notify_settings)]


def _keys(settings: SettingsDep) -> KeySet | None:
    return settings.key_set()


def _allow_private(settings: SettingsDep) -> bool:
    return settings.private_urls_allowed(get_settings().environment)


KeysDep = Annotated[KeySet | None, Depends(_keys)]
AllowPrivateDep = Annotated[bool, Depends(_allow_private)]


@router.post("/webhooks", status_code=201, summary="Subscribe a webhook (its secret is stored sealed, never shown)")
async def create_webhook(
    body: WebhookIn, session: SessionDep, caller: AdminDep, keys: KeysDep, allow_private: AllowPrivateDep
) -> WebhookOut:
    return await service.create_webhook(
        session=session, webhook_in=body, caller=caller, keys=keys, allow_private=allow_private, now=utcnow()
    )


@router.get("/webhooks", summary="Webhook subscriptions")
async def list_webhooks(session: SessionDep, caller: AdminDep) -> list[WebhookOut]:
    return await service.list_webhooks(session=session)


@router.get("/webhooks/{webhook_id}", summary="One webhook subscription")
async def get_webhook(webhook_id: uuid.UUID, session: SessionDep, caller: AdminDep) -> WebhookOut:
    return await service.get_webhook(session=session, webhook_id=webhook_id)


@router.patch("/webhooks/{webhook_id}", summary="Change a webhook subscription (a new secret replaces the old)")
async def update_webhook(
    webhook_id: uuid.UUID,
    patch: WebhookPatch,
    session: SessionDep,
    caller: AdminDep,
    keys: KeysDep,
    allow_private: AllowPrivateDep,
) -> WebhookOut:
    return await service.update_webhook(
        session=session, webhook_id=webhook_id, patch=patch, keys=keys, allow_private=allow_private, now=utcnow()
    )


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook and its deliveries")
async def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, caller: AdminDep) -> Response:
    await service.delete_webhook(session=session, webhook_id=webhook_id)
    return Response(status_code=204)


@router.post("/contacts", status_code=201, summary="Add an e-mail contact (events, escalation level, overdue notices)")
async def create_contact(body: ContactIn, session: SessionDep, caller: AdminDep) -> ContactOut:
    return await service.create_contact(session=session, contact_in=body, now=utcnow())


@router.get("/contacts", summary="E-mail contacts")
async def list_contacts(session: SessionDep, caller: AdminDep) -> list[ContactOut]:
    return await service.list_contacts(session=session)


@router.get("/contacts/{contact_id}", summary="One e-mail contact")
async def get_contact(contact_id: uuid.UUID, session: SessionDep, caller: AdminDep) -> ContactOut:
    return await service.get_contact(session=session, contact_id=contact_id)


@router.patch("/contacts/{contact_id}", summary="Change an e-mail contact")
async def update_contact(
    contact_id: uuid.UUID, patch: ContactPatch, session: SessionDep, caller: AdminDep
) -> ContactOut:
    return await service.update_contact(session=session, contact_id=contact_id, patch=patch, now=utcnow())


@router.delete("/contacts/{contact_id}", status_code=204, summary="Remove an e-mail contact")
async def delete_contact(contact_id: uuid.UUID, session: SessionDep, caller: AdminDep) -> Response:
    await service.delete_contact(session=session, contact_id=contact_id)
    return Response(status_code=204)


@router.get("/deliveries", summary="The delivery log, newest first by default (repeat a filter for any of several)")
async def list_deliveries(
    session: SessionDep,
    caller: AdminDep,
    sort: Annotated[str, Depends(DELIVERY_ORDER.sort_query("-created_at"))],
    webhook: Annotated[list[uuid.UUID], Query()] = [],  # noqa: B006 — FastAPI copies query defaults
    status: Annotated[list[DeliveryStatus], Query()] = [],  # noqa: B006
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryOut]:
    return await service.list_deliveries(
        session=session, webhook=webhook, status=status, sort=sort, cursor=cursor, limit=limit
    )


@router.post("/deliveries/{delivery_id}/replay", summary="Send a delivered or dead delivery again (same id)")
async def replay_delivery(delivery_id: uuid.UUID, session: SessionDep, caller: AdminDep) -> DeliveryOut:
    return await service.replay(session=session, delivery_id=delivery_id, now=utcnow())
