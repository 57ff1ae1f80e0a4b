"""Run the analytics service: ``python -m services.analytics``."""

from services.analytics.app import create_app
from services.analytics.settings import get_settings
from shared.service import serve

if __name__ == "__main__":
    serve(create_app, get_settings())
