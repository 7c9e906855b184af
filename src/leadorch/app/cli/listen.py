"""The listening socket of `serve` and `demo`, bound before anything else starts.

Binding first turns a bad or taken port into one line (not a traceback from inside uvicorn after the
database and workers are up), and tells the banner the port actually bound (`--port 0` picks one).
Several `serve --workers N` processes share this one socket.
"""

from __future__ import annotations

import socket


def bind_listener(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket for `host:port`; `CliError` naming the problem otherwise."""
    from leadorch.app.cli import CliError

    if not 0 <= port <= 65535:
        raise CliError(f"--port must be between 0 and 65535, not {port}")
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        raise CliError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)
    return sock


def bound_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
