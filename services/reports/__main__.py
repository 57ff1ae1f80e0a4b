"""Run the reports service: ``python -m services.reports``."""

from services.reports.app import create_app
from services.reports.settings import get_settings
from shared.service import serve

if __name__ == "__main__":
    serve(create_app, get_settings())
