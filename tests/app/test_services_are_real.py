"""The test run talks to real PostgreSQL and Redis servers."""

import psycopg
import redis


def test_postgres_is_a_real_server(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    assert version is not None and int(version[0].split(".")[0]) >= 13


def test_redis_is_a_real_server(clean_redis: str) -> None:
    client = redis.Redis.from_url(clean_redis)
    client.set("k", "v")
    assert client.get("k") == b"v"
    assert client.info()["redis_version"]
