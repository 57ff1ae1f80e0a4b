"""Settings of notifications (env prefix ``CITYOPS_REPORTS_NOTIFY_``, beside the reports settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.keys import KeySet

KEYS_VARIABLE = "CITYOPS_REPORTS_NOTIFY_KEYS"


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_REPORTS_NOTIFY_", extra="ignore")

    # Keys (shared.keys format, kid:base64secret; the first encrypts, every listed one decrypts) that
    # encrypt webhook secrets at rest. Unset: webhooks cannot be created (503), nothing else changes.
    keys: SecretStr | None = None
    keys_file: Path | None = None
    # Private, loopback and link-local targets (SSRF). None: allowed only when CITYOPS_ENV is "dev".
    allow_private_urls: bool | None = None
    # Retries: the n-th failed attempt waits min(base·2^(n-1), max) · a jitter in [0.5, 1]; after
    # max_attempts the delivery is dead. The defaults outlast a receiver outage of 15 minutes.
    retry_base_s: float = Field(5.0, gt=0)
    retry_max_s: float = Field(300.0, gt=0)
    max_attempts: int = Field(12, ge=1, le=100)
    timeout_s: float = Field(10.0, gt=0)
    # How often every replica looks for due deliveries (the replica that stored one sends it at once).
    poll_s: float = Field(1.0, gt=0)
    # A claimed delivery is not retried by another replica before this (a replica killed mid-send).
    lease_s: float = Field(60.0, gt=0)
    batch: int = Field(32, ge=1, le=500)
    # Escalation: an alert of at least this severity not acknowledged within escalate_after_s goes to the
    # next contact level, and again after as long, up to the last level.
    escalate_after_s: float = Field(600.0, gt=0)
    escalate_min_severity: str = "medium"
    # How often the escalation and overdue checks run (any replica may; each step happens once).
    check_s: float = Field(30.0, gt=0)
    # Delivered and dead deliveries, and finished escalations, are deleted after this many days.
    retention_days: int = Field(30, ge=1)
    # SMTP; unset host: no e-mail is sent (contacts are kept).
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_from: str = "cityops@localhost"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    # The weekly city briefing (event ``briefing.weekly``): off unless turned on. Announced at the first
    # check from ``briefing_weekday`` (0 Monday) ``briefing_hour`` o'clock, Vietnam time, for the ISO week
    # just ended, with links to it under ``briefing_base_url`` (the gateway's public address; empty: links
    # are paths).
    briefing_weekly: bool = False
    briefing_weekday: int = Field(0, ge=0, le=6)
    briefing_hour: int = Field(7, ge=0, le=23)
    briefing_base_url: str = ""

    def key_set(self) -> KeySet | None:
        if self.keys_file is None and (self.keys is None or not self.keys.get_secret_value().strip()):
            return None
        return KeySet(variable=KEYS_VARIABLE, value=self.keys, file=self.keys_file)

    def private_urls_allowed(self, environment: str) -> bool:
        return self.allow_private_urls if self.allow_private_urls is not None else environment == "dev"


@lru_cache
def get_notify_settings() -> NotifySettings:
    return NotifySettings()
