"""The JSON API (FastAPI): parse → call core → JSON. Same process as the web cockpit."""

from shucang.api.app import create_app

__all__ = ["create_app"]
