"""Run the ingest service: ``python -m services.ingest``."""

from services.ingest.app import create_app
from services.ingest.settings import get_settings
from shared.service import serve

if __name__ == "__main__":
    serve(create_app, get_settings())
