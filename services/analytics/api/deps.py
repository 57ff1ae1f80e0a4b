"""The frame consumer of this process, for the routes that reload it or read its live state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.analytics.consumers.frames import FrameConsumer


def consumer(request: Request) -> FrameConsumer:
    c: FrameConsumer = request.app.state.consumer
    return c


ConsumerDep = Annotated[FrameConsumer, Depends(consumer)]
