"""Case and directive change events, published on NATS once the database has committed."""

from __future__ import annotations

import logging

from shared.bus import Bus
from shared.messages import CaseChanged, DirectiveChanged, Message
from shared.subjects import case_event, directive_event

log = logging.getLogger("cityops.reports.cases")


async def publish(bus: Bus, events: list[Message]) -> None:
    """Best effort: the database is the record; a live dashboard missing an event re-reads it."""
    for event in events:
        if isinstance(event, CaseChanged):
            subject = case_event(event.case_id, event.event)
        elif isinstance(event, DirectiveChanged):
            subject = directive_event(event.directive_id, event.event)
        else:
            raise TypeError(f"not a case or directive event: {type(event).__name__}")
        try:
            await bus.publish(subject, event.to_bytes())
        except Exception as exc:
            log.warning("cases.event_not_published", extra={"subject": subject, "error": repr(exc)})
