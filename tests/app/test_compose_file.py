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


README = (ROOT / "README.md").read_text()
# Variables the README's commands name for the CLI to read (`--api-key-env SHOPMONKEY_API_KEY`).
README_CLI_VARIABLES = set(re.findall(r"--[a-z-]+-env ([A-Z][A-Z0-9_]+)", README))


def test_env_example_lists_every_variable_the_readme_uses() -> None:
    used = set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)", README)) | README_CLI_VARIABLES
    used = {name for name in used if not name.startswith("TEST_")}  # the test run's own, not a deployment's
    assert {"SHOPMONKEY_API_KEY", "SHOPMONKEY_WEBHOOK_SECRET", "LEADORCH_SECRET_KEY"} <= used
    assert used <= set(_env_example()), used - set(_env_example())


def test_the_image_installs_from_the_lock_without_dev_tools_and_the_worker_is_checked_on_its_own_port() -> (
    None
):
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "uv pip install" not in dockerfile
    worker = COMPOSE["services"]["worker"]
    port = worker["command"][worker["command"].index("--metrics-port") + 1]
    assert f"127.0.0.1:{port}/" in " ".join(worker["healthcheck"]["test"])
    assert "redis" not in " ".join(worker["healthcheck"]["test"]).lower()


def test_every_variable_compose_and_env_example_name_is_a_setting_the_code_reads() -> None:
    known = set(ENV_NAMES.values()) | {"POSTGRES_PASSWORD"} | README_CLI_VARIABLES
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
