"""The README documents every environment variable the code reads (so docs and code cannot drift)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from services.analytics.settings import AnalyticsSettings
from services.gateway.settings import GatewaySettings
from services.ingest.recording.settings import RecordingSettings
from services.ingest.settings import IngestSettings
from services.reports.businesses.settings import BusinessSettings
from services.reports.cases.open311.settings import Open311Settings
from services.reports.notifications.settings import NotifySettings
from services.reports.privacy.settings import PrivacySettings
from services.reports.settings import ReportsSettings
from shared.settings import ServiceSettings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
SETTINGS: list[type[BaseSettings]] = [
    IngestSettings, AnalyticsSettings, ReportsSettings, GatewaySettings, RecordingSettings, BusinessSettings,
    NotifySettings, Open311Settings, PrivacySettings,
]  # fmt: skip
# Documented once for all services as CITYOPS_<SVC>_HOST and so on.
PER_SERVICE = set(ServiceSettings.model_fields) - {"nats_url", "database_url", "log_level", "environment"}


def env_names(settings: type[BaseSettings]) -> set[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for field, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.add(str(alias.choices[0]))
        elif issubclass(settings, ServiceSettings) and field in PER_SERVICE:
            names.add(f"CITYOPS_<SVC>_{field.upper()}")
        else:
            names.add(f"{prefix}{field}".upper())
    return names


def test_every_environment_variable_is_in_the_readme() -> None:
    wanted = set().union(*(env_names(s) for s in SETTINGS))
    missing = sorted(name for name in wanted if f"`{name}`" not in README)
    assert missing == []
