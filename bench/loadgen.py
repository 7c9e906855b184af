"""The load generator: a separate process that sends prepared HTTP requests over loopback and times them.

    python bench/loadgen.py --target http://127.0.0.1:8000 --requests reqs.jsonl --out result.json \
        (--rate 200 | --connections 32) [--duration 60] [--timeout 10]

`reqs.jsonl` holds one request per line: `{"method", "path", "headers": {...}, "body": "..."}`. Each is
sent once, in file order. Two ways to drive the server:

- `--rate R` (open loop): request i is due at start + i/R whatever happened before, so a slow server
  sees the queue build up as real senders would make it; latency is measured from the due time
  (no coordinated omission), and from the actual send. A line may name its own due time instead
  (`"at"`: seconds from the start; the lines in order of it), for a schedule that is not uniform,
  such as the turns of conversations.
- `--connections C` (closed loop): C keep-alive connections send back to back: the most the server
  can take.

It is a bare HTTP/1.1 client on asyncio streams rather than a general client library, so that on a
2-core machine the generator spends as little CPU as possible and the server, not the client, is what
is measured. It needs the server to answer with `Content-Length` (uvicorn does). Everything is bounded:
`--duration` caps the run and `--timeout` each request; what was not sent or timed out is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

STALE_RETRIES = 2


@dataclass
class Outcome:
    index: int
    due_wall: float  # when it was meant to go (time.time())
    sent_wall: float  # when it went
    latency_from_due: float  # seconds
    latency: float  # seconds, from the actual send
    status: int  # 0: connection error or timeout
    body: str


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.open = True
        self.exchanges = 0  # answers received on it so far: above 0, the server may have closed it idle

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        self.exchanges += 1
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            lowered = name.strip().lower()
            if lowered == "content-length":
                length = int(value.strip())
            elif lowered == "connection" and value.strip().lower() == "close":
                self.open = False
            elif lowered == "transfer-encoding":
                raise RuntimeError("the load generator needs Content-Length answers, got chunked")
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.open = False
        self.writer.close()


class Pool:
    """Keep-alive connections, opened on demand up to `limit`."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self.idle: list[Connection] = []
        self.opened = 0
        self.available = asyncio.Condition()

    async def acquire(self) -> Connection:
        async with self.available:
            while not self.idle and self.opened >= self.limit:
                await self.available.wait()
            while self.idle:
                conn = self.idle.pop()
                if not conn.reader.at_eof():
                    return conn
                conn.close()  # the server closed it while it was idle
                self.opened -= 1
            self.opened += 1
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            async with self.available:
                self.opened -= 1
                self.available.notify()
            raise
        return Connection(reader, writer)

    async def release(self, conn: Connection) -> None:
        async with self.available:
            if conn.open:
                self.idle.append(conn)
            else:
                conn.close()
                self.opened -= 1
            self.available.notify()


def encode(request: dict[str, object], host: str) -> bytes:
    body = str(request.get("body", "")).encode()
    headers = dict(request.get("headers", {}))  # type: ignore[call-overload]
    lines = [f"{request.get('method', 'POST')} {request['path']} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "content-length"]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def send_one(
    pool: Pool, index: int, raw: bytes, due_wall: float, due_perf: float, timeout: float
) -> Outcome:
    sent_perf, sent_wall = time.perf_counter(), time.time()
    status, body = 0, b""
    for _attempt in range(STALE_RETRIES + 1):
        conn: Connection | None = None
        stale = False
        try:
            conn = await asyncio.wait_for(pool.acquire(), timeout)
            sent_perf, sent_wall = time.perf_counter(), time.time()
            status, body = await asyncio.wait_for(conn.exchange(raw), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            body = f"{type(exc).__name__}: {exc}".encode()
            # A kept-alive connection the server closed while it was idle (uvicorn closes them after 5 s)
            # answers nothing at all: like any HTTP client, send again on a new connection.
            stale = (
                isinstance(exc, asyncio.IncompleteReadError) and not exc.partial and conn is not None
                and conn.exchanges > 1
            )  # fmt: skip
            if conn is not None:
                conn.open = False
        finally:
            if conn is not None:
                await pool.release(conn)
        if not stale:
            break
    done = time.perf_counter()
    return Outcome(
        index,
        due_wall,
        sent_wall,
        done - due_perf,
        done - sent_perf,
        status,
        body[:300].decode("utf-8", "replace"),
    )


async def open_loop(
    pool: Pool,
    raws: list[bytes],
    rate: float,
    duration: float,
    timeout: float,
    offsets: list[float | None] | None = None,
) -> list[Outcome]:
    start_perf, start_wall = time.perf_counter(), time.time()
    tasks = []
    for index, raw in enumerate(raws):
        due = offsets[index] if offsets else None
        offset = index / rate if due is None else due
        if offset > duration:
            break
        delay = start_perf + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(
            asyncio.create_task(send_one(pool, index, raw, start_wall + offset, start_perf + offset, timeout))
        )
    return list(await asyncio.gather(*tasks))


async def closed_loop(
    pool: Pool, raws: list[bytes], connections: int, duration: float, timeout: float
) -> list[Outcome]:
    deadline = time.perf_counter() + duration
    next_index = 0
    outcomes: list[Outcome] = []

    async def sender() -> None:
        nonlocal next_index
        while next_index < len(raws) and time.perf_counter() < deadline:
            index = next_index
            next_index += 1
            outcomes.append(
                await send_one(pool, index, raws[index], time.time(), time.perf_counter(), timeout)
            )

    await asyncio.gather(*(sender() for _ in range(connections)))
    return outcomes


def drive(
    target: str,
    lines: list[str],
    work_dir: Path,
    *,
    rate: float | None = None,
    connections: int | None = None,
    duration: float = 60.0,
    timeout: float = 10.0,
    name: str = "load",
) -> dict[str, object]:
    """Run the load generator as its own process (the way benchmarks use it) and return its result."""
    import subprocess
    import sys

    work_dir.mkdir(parents=True, exist_ok=True)
    requests, out = work_dir / f"{name}.jsonl", work_dir / f"{name}.json"
    requests.write_text("\n".join(lines) + "\n")
    mode = ["--rate", str(rate)] if rate else ["--connections", str(connections or 16)]
    argv = [sys.executable, __file__, "--target", target, "--requests", str(requests), "--out", str(out)]
    argv += [*mode, "--duration", str(duration), "--timeout", str(timeout)]
    subprocess.run(argv, check=True, timeout=duration + timeout + 60)
    result: dict[str, object] = json.loads(out.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--requests", required=True, type=Path, help="JSON lines, one request each")
    parser.add_argument("--out", required=True, type=Path)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--rate", type=float, help="open loop: requests per second")
    mode.add_argument("--connections", type=int, help="closed loop: concurrent keep-alive connections")
    parser.add_argument("--max-connections", type=int, default=256, help="open loop: connection cap")
    parser.add_argument("--duration", type=float, default=60.0, help="stop sending after this many seconds")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds")
    args = parser.parse_args()
    target = urlsplit(args.target)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    requests = [json.loads(line) for line in args.requests.read_text().splitlines() if line.strip()]
    raws = [encode(request, f"{host}:{port}") for request in requests]

    async def run() -> list[Outcome]:
        if args.rate:
            pool = Pool(host, port, args.max_connections)
            offsets = [request.get("at") for request in requests]
            return await open_loop(pool, raws, args.rate, args.duration, args.timeout, offsets)
        pool = Pool(host, port, args.connections)
        return await closed_loop(pool, raws, args.connections, args.duration, args.timeout)

    started = time.perf_counter()
    outcomes = asyncio.run(run())
    elapsed = time.perf_counter() - started
    args.out.write_text(
        json.dumps(
            {
                "elapsed": elapsed,
                "planned": len(raws),
                "outcomes": [outcome.__dict__ for outcome in sorted(outcomes, key=lambda o: o.index)],
            }
        )
    )


if __name__ == "__main__":
    main()
