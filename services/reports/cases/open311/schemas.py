"""The GeoReport v2 service request as submitted."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RequestIn(BaseModel):
    """The form fields of ``POST requests.json`` (GeoReport v2); unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    service_code: str = Field(min_length=1)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=500)
    description: str = Field("", max_length=4_000)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    media_url: str | None = Field(None, max_length=1_000)
    # attribute[code]=value (several values for a multivaluelist: attribute[code][]=value), by code.
    attributes: dict[str, list[str]] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _location(self) -> RequestIn:
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat and long must be given together")
        if self.lat is None and not self.address_string:
            raise ValueError("a location is required: lat and long, or address_string")
        return self
