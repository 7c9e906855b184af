"""The SMS segment limit is checked against the default templates too: a limit the default wording cannot
meet is refused when it is set, not discovered when every touch-1 text fails to render."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadorch.app.bootstrap import bootstrap
from leadorch.app.config.errors import InvalidConfiguration
from leadorch.app.settings import load_settings


def test_a_segment_limit_the_default_templates_exceed_is_refused_naming_the_touch(tmp_path: Path) -> None:
    container = bootstrap(load_settings({}, database_url=f"sqlite:///{tmp_path / 'events.db'}"))
    try:
        config = container.config
        config.create_tenant("tintworld", name="Tint World", actor="test")
        with pytest.raises(InvalidConfiguration, match=r"template for touch \d+: .*segment"):
            config.update_tenant("tintworld", max_sms_segments=1, actor="test")
        assert config.tenant("tintworld").max_sms_segments == 2  # unchanged
        config.update_tenant("tintworld", max_sms_segments=3, actor="test")
        assert config.tenant("tintworld").max_sms_segments == 3
    finally:
        container.close()
