"""compose.yaml and .env.example stay true to the code (Docker is not on this machine, so we read them)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml  # PyYAML comes with the test tools

from leadorch.app.cli import build_parser
from leadorch.app.settings import ENV_NAMES, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def test_compose_runs_postgres_redis_the_api_and_the_worker_with_health_checks() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "redis", "api", "worker"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
    assert {"pgdata", "redisdata"} <= set(COMPOSE["volumes"])


def test_the_commands_compose_runs_exist_in_the_cli() -> None:
    parser = build_parser()
    for name in ("api", "worker"):
        command = COMPOSE["services"][name]["command"]
        assert command[0] == "leadorch"
        parser.parse_args(command[1:])  # exits (SystemExit) on an unknown subcommand or option


def test_every_variable_compose_and_env_example_name_is_a_setting_the_code_reads() -> None:
    known = set(ENV_NAMES.values()) | {"POSTGRES_PASSWORD"}
    example = _env_example()
    assert set(example) <= known, set(example) - known
    referenced = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
    assert referenced <= known
    for service in ("api", "worker"):
        assert set(COMPOSE["services"][service]["environment"]) <= known


def test_env_example_lists_every_setting_and_is_itself_valid() -> None:
    example = _env_example()
    assert set(ENV_NAMES.values()) <= set(example), set(ENV_NAMES.values()) - set(example)
    settings = load_settings({k: v for k, v in example.items() if v})
    assert settings.database_url.startswith("postgresql://")
