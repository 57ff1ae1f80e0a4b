"""Run the gateway service: ``python -m services.gateway``."""

from services.gateway.app import create_app
from services.gateway.settings import get_settings
from shared.service import serve

if __name__ == "__main__":
    settings = get_settings()
    serve(create_app, settings, trusted_proxies=settings.trusted_proxies, loop="auto")
