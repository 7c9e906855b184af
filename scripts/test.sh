#!/usr/bin/env bash
# The test command: installs what the tests need, starts PostgreSQL and Redis when they are not running,
# checks lint, format and types, and runs the whole test suite against the real servers.
# Works as any user: uv is found on PATH (or installed for this user); servers run on free loopback
# ports unless TEST_PG_PORT / TEST_REDIS_PORT say which; only the servers this run started are stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.local/bin:$PATH"  # where `pip install --user` puts uv
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --user --break-system-packages uv
fi
need_apt=()  # PostgreSQL and Redis servers, and Chromium for the browser tests
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then need_apt+=(postgresql); fi
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || command -v google-chrome >/dev/null 2>&1 || need_apt+=(chromium)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing: ${need_apt[*]} (install with: sudo apt-get install ${need_apt[*]})" >&2; exit 1
  fi
fi

uv sync --frozen --quiet

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export TEST_PG_PORT="${TEST_PG_PORT:-$(free_port)}" TEST_REDIS_PORT="${TEST_REDIS_PORT:-$(free_port)}"

# Real servers for the whole run. A failed start prints the server's own error and stops here.
services="$(uv run --frozen python -m tests.support.services start)"
eval "$services"
export TEST_DATABASE_URL TEST_REDIS_URL
trap 'uv run --frozen python -m tests.support.services stop >/dev/null 2>&1 || true' EXIT  # ours only

uv run --frozen ruff check src tests bench
uv run --frozen ruff format --check src tests bench
uv run --frozen mypy
HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" uv run --frozen pytest "$@"
