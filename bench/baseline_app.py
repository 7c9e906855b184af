"""The ingest benchmark's baseline: a minimal Litestar app that parses the webhook's JSON body and answers.

Served exactly as `leadorch serve` serves the real app (uvicorn, one process, same options), so the
ratio shows what verification, the durable commit and the enqueue cost on top of the framework.

    python bench/baseline_app.py --port 8100
"""

from __future__ import annotations

import argparse
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar, get, post


@post("/webhooks/shopmonkey/{tenant_id:str}", status_code=200)
async def receive(tenant_id: str, body: bytes) -> dict[str, str]:
    payload: dict[str, Any] = msgspec.json.decode(body)
    return {"status": "accepted", "table": str(payload.get("table"))}


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[receive, health], openapi_config=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", timeout_graceful_shutdown=20)


if __name__ == "__main__":
    main()
