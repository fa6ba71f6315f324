"""Say clearly when PostgreSQL or Redis is not reachable, and how to start it."""

from __future__ import annotations

import os
import sys

import psycopg
import redis


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    ok = True
    if database_url.startswith("postgres"):
        try:
            psycopg.connect(database_url, dbname="postgres", connect_timeout=3).close()
        except psycopg.Error as exc:
            ok = False
            print(f"PostgreSQL is not reachable at {database_url}: {exc}".strip(), file=sys.stderr)
            print(
                "Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
                "  (or `docker compose up -d postgres`), or set DATABASE_URL.",
                file=sys.stderr,
            )
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            ok = False
            print(f"Redis is not reachable at {redis_url}: {exc}", file=sys.stderr)
            print(
                'Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""'
                " --appendonly no  (or `docker compose up -d redis`), or set REDIS_URL.",
                file=sys.stderr,
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
