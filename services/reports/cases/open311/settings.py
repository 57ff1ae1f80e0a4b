"""Settings of the Open311 GeoReport v2 endpoint (env prefix ``CITYOPS_REPORTS_OPEN311_``)."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class Open311Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_REPORTS_OPEN311_", extra="ignore")

    # The jurisdiction_id values this endpoint answers for; a call naming another one is a 404. With one
    # jurisdiction the parameter may be left out (GeoReport v2 makes it optional then).
    jurisdictions: list[str] = Field(default_factory=lambda: ["samson.thanhhoa.gov.vn"], min_length=1)
    # Client applications allowed to POST requests: name → SHA-256 (hex) of the key given to that app. Only
    # the digest is configured, so the environment never holds a usable key. Empty: no api_key is needed.
    api_keys: dict[str, str] = Field(default_factory=dict)
    # The discovery document: where clients reach this endpoint (the gateway's public address) and whom
    # to ask for help or for a key.
    url: str = "http://localhost:8080/open311/v2"
    contact: str = "Sầm Sơn city operations centre, hotline 1022"
    key_service: str = "Ask the city operations centre for an api_key for your application"

    @field_validator("api_keys")
    @classmethod
    def _digests(cls, keys: dict[str, str]) -> dict[str, str]:
        for name, digest in keys.items():
            if not _SHA256_HEX.match(digest):
                raise ValueError(f"api key of '{name}' must be the SHA-256 of the key, as 64 lower-case hex digits")
        return keys


@lru_cache
def get_open311_settings() -> Open311Settings:
    return Open311Settings()
