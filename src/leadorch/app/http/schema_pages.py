"""The API schema pages, served with their assets from this process: they work offline.

Litestar's render plugins load Swagger UI from a CDN by default, so `/schema` was blank without
internet; the `swagger-ui-bundle` package ships the same files, served here under `/schema-assets`.
"""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/schema-assets"

schema_assets = create_static_files_router(
    path=ASSETS, directories=[str(swagger_ui_path)], include_in_schema=False, name="schema-assets"
)

OPENAPI_CONFIG = OpenAPIConfig(
    title="Lead Orchestrator",
    version="0.1.0",
    path="/schema",
    render_plugins=[
        SwaggerRenderPlugin(
            path="/",
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
        )
    ],
)
