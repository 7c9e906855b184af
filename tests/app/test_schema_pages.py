"""The API schema pages work offline: every script, style and icon they load is served by the app."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.testing import TestClient

from leadorch.app.bootstrap import bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.settings import load_settings


def test_the_schema_page_loads_only_assets_the_app_serves(tmp_path: Path) -> None:
    container = bootstrap(load_settings({}, database_url=f"sqlite:///{tmp_path / 'events.db'}"))
    try:
        with TestClient(create_app(container)) as client:
            page = client.get("/schema")
            assert page.status_code == 200
            urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
            assert urls, page.text
            assert not [url for url in urls if url.startswith(("http:", "https:", "//"))], urls
            for url in urls:
                assert client.get(url).status_code == 200, url
            assert client.get("/schema/openapi.json").status_code == 200
    finally:
        container.close()
