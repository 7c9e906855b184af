"""The site's icon: one small SVG, at `/favicon.svg` (what the console's pages link to) and at
`/favicon.ico` (where browsers and tools look without being told), so neither is a 404 in the logs."""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.response import File

ICON = Path(__file__).parent / "static" / "favicon.svg"
_CACHE = {"Cache-Control": "max-age=86400"}


@get(["/favicon.svg", "/favicon.ico"], sync_to_thread=False, include_in_schema=False)
def favicon() -> File:
    return File(path=ICON, media_type="image/svg+xml", headers=_CACHE, content_disposition_type="inline")
