"""Request-scoped access to what the ingest app composes (the runtime and unit of work are shared.deps)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.ingest.recording.settings import RecordingSettings, get_recording_settings
from services.ingest.recording.store import SegmentStore
from services.ingest.settings import IngestSettings
from services.ingest.streams.supervisor import Supervisor


def supervisor(request: Request) -> Supervisor:
    sup: Supervisor = request.app.state.supervisor
    return sup


def settings(request: Request) -> IngestSettings:
    s: IngestSettings = request.app.state.runtime.settings
    return s


def store(request: Request) -> SegmentStore:
    """The recordings root every replica shares (segments, evidence packages)."""
    found: SegmentStore = request.app.state.store
    return found


def recording_settings() -> RecordingSettings:
    """The settings the recorder and its sweeper were built with (read once per process)."""
    return get_recording_settings()


SupervisorDep = Annotated[Supervisor, Depends(supervisor)]
SettingsDep = Annotated[IngestSettings, Depends(settings)]
StoreDep = Annotated[SegmentStore, Depends(store)]
RecordingSettingsDep = Annotated[RecordingSettings, Depends(recording_settings)]
