"""Run the gateway service: ``python -m services.gateway``."""

from services.gateway.app import create_app
from services.gateway.settings import get_settings
from shared.service import serve

if __name__ == "__main__":
    serve(create_app, get_settings())
