#!/usr/bin/env bash
# The run command: installs what is needed and starts the whole system on the embedded default
# (SQLite event store, in-process worker, offline assistant, built-in stand-ins for ShopMonkey, SendGrid
# and Twilio), with a demo tenant and location already set up. No accounts, no servers to install.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet uv || python3 -m pip install --quiet --break-system-packages uv
fi
uv sync --frozen --no-dev --quiet   # the demo needs no test or lint tools
exec uv run --frozen --no-dev leadorch demo "$@"
