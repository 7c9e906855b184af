"""Run an ASGI app on a real loopback socket in a background thread.

The stand-ins for ShopMonkey, SendGrid, Twilio and Anthropic are real HTTP servers so that the
production adapters (and the vendors' own SDKs) talk to them over a socket exactly as they would talk
to the real services. The demo and the tests both start them through this one function.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class RunningServer:
    """A started server: its base URL and a way to stop it."""

    url: str
    host: str
    port: int
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, timeout: float = 10.0
) -> RunningServer:
    """Start `app` with uvicorn on host:port (0 = a free port) and wait until it accepts connections."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="auto", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"standin-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on {host}:{port} did not start")
        time.sleep(0.01)
    return RunningServer(url=f"http://{host}:{port}", host=host, port=port, _server=server, _thread=thread)
