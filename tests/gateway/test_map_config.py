"""The map's public configuration: the city's tile server when one is set, its GeoJSON basemap otherwise."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.support import TEST_JWT_KEYS, TEST_SERVICE_KEYS

TILES = "https://tiles.samson.example/osm/{z}/{x}/{y}.png"


def _settings(**map_settings: object) -> GatewaySettings:
    return GatewaySettings(jwt_keys=SecretStr(TEST_JWT_KEYS), service_keys=SecretStr(TEST_SERVICE_KEYS), **map_settings)


async def _map_config(settings: GatewaySettings) -> httpx.Response:
    # No lifespan: the route reads only the settings, and must answer without NATS, a database or a login.
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        return await client.get("/api/v1/config/map")


async def test_without_a_tile_server_the_map_draws_the_city_geojson() -> None:
    r = await _map_config(_settings())
    assert r.status_code == 200, r.text
    assert r.json() == {"basemap": "geojson", "tiles_url": None, "attribution": "", "max_zoom": 19}


async def test_a_tile_server_set_for_the_deployment_is_returned() -> None:
    r = await _map_config(
        _settings(map_tiles_url=TILES, map_tiles_attribution="© OpenStreetMap contributors", map_max_zoom=18)
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "basemap": "tiles",
        "tiles_url": TILES,
        "attribution": "© OpenStreetMap contributors",
        "max_zoom": 18,
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://tiles.example/{z}/{x}.png",  # no {y}
        "ftp://tiles.example/{z}/{x}/{y}.png",
        "https://city:hunter2@tiles.example/{z}/{x}/{y}.png",
        "https://tiles.example/{z}/{x}/{y}.png?access_token=pk.secret",
    ],
)
def test_a_tile_url_that_cannot_work_or_carries_a_credential_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValidationError, match="map_tiles_url"):
        _settings(map_tiles_url=url)


def test_a_path_on_the_gateway_host_is_a_tile_url_too() -> None:
    assert _settings(map_tiles_url="/tiles/{z}/{x}/{y}.png").map_tiles_url == "/tiles/{z}/{x}/{y}.png"
