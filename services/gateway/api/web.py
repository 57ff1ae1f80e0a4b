"""The operations dashboard at "/" and the public page for citizens and tourists at "/public/": static
HTML/CSS/JS built only on the public API (the rest is served from /static)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/public/")
@router.get("/public")
async def public_page() -> FileResponse:
    """No login: report a problem, follow it by its code, look up listed prices."""
    return FileResponse(WEB_DIR / "public" / "index.html", headers={"Cache-Control": "no-cache"})
