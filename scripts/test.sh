#!/usr/bin/env bash
# The test command: installs what the tests need, starts PostgreSQL and Redis when they are not running,
# checks lint, format and types, and runs the whole test suite against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet uv || python3 -m pip install --quiet --break-system-packages uv
fi
need_apt=()  # PostgreSQL and Redis servers, and Chromium for the browser tests
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then need_apt+=(postgresql); fi
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing: ${need_apt[*]} (install with: sudo apt-get install ${need_apt[*]})" >&2; exit 1
  fi
fi

uv sync --frozen --quiet

# Real servers for the whole run; stopped again at the end unless they were already running.
eval "$(uv run --frozen python -m tests.support.services start)"
export TEST_DATABASE_URL TEST_REDIS_URL
trap 'uv run --frozen python -m tests.support.services stop >/dev/null 2>&1 || true' EXIT

uv run --frozen ruff check src tests bench
uv run --frozen ruff format --check src tests bench
uv run --frozen mypy
HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" uv run --frozen pytest "$@"
