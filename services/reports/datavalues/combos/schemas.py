"""Bodies of the category combo routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

CODE = r"^[A-Za-z0-9_.\-]{1,64}$"
# ADX writes categories and their options as XML attributes: names and values must suit that.
CATEGORY = r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$"


class OptionComboIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=300)
    options: dict[str, str] = Field(
        default_factory=dict,
        description='the category options it stands for, by category code (how ADX names it), e.g. {"SEX": "F"}',
    )


class CategoryComboIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=300)
    option_combos: list[OptionComboIn] = Field(min_length=1, max_length=500)
    indicators: list[str] = Field(
        default_factory=list, description="codes of indicators to disaggregate by it (they must have no values yet)"
    )


class OptionComboOut(BaseModel):
    code: str
    uid: str
    name: str
    options: dict[str, str]


class CategoryComboOut(BaseModel):
    code: str
    uid: str
    name: str
    option_combos: list[OptionComboOut]
    indicators: list[str]
