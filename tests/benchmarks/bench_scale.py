"""Benchmark: does the cost of a request stay flat as the awards stored grow to a million?

For each database (SQLite and PostgreSQL) the script migrates a fresh database, creates an
issuer and badges through the API, then bulk-loads learners and awards through the database's
own bulk path (PostgreSQL: COPY; SQLite: executemany in one transaction) up to each size asked
for, and measures at each size:

- one API call awarding a badge to 10,000 new recipients (``"notify": false``; each such call
  adds to what is stored for the next size);
- the server time of the reads that must stay flat (badge list, award list page, feed,
  revocation list, status list).

Autovacuum is switched off on the loaded tables, so the planner statistics stay as stale as a
bulk load leaves them on a busy server: the app must be fast without them.

Run from the project root (PostgreSQL on 127.0.0.1:5432, trust auth, as in CI)::

    .venv/bin/python -m tests.benchmarks.bench_scale --sizes 10000 1000000

This is the first part of the benchmark: the award and read figures. The hosted GET ratio
against a bare Flask endpoint is measured by bench_hosted.py.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, insert, make_url, text

from issuer.extensions import db
from issuer.models import Assertion, User
from issuer.openbadges.keys import generate_private_key_pem
from issuer.services.keystore import MemoryKeyStore
from tests.support import ApiClient, build_app, data_uri, log_in, make_token, png_bytes

RECIPIENTS = 10_000
# Stored awards are spread over this many badges, one in a hundred of them revoked.
FILLER_BADGES = 10
REVOKED_EVERY = 100
LOAD_CHUNK = 50_000
READ_REPEATS = 5
READER = "reader@scale.example"
READER_PASSWORD = "reader-password"  # a throwaway benchmark account
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/issuer_bench_scale"


@dataclass
class Figures:
    """What one database measured at one size."""

    stored: int
    award_seconds: float = 0.0
    reads_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class Instance:
    """A migrated database with its app, an admin's API client and the badges to fill."""

    app: Flask
    api: ApiClient
    issuer_id: str
    filler_badges: list[str]
    stored: int = 0


def make_instance(url: str, tmp: Path) -> Instance:
    """A fresh app on an empty, migrated database, with an issuer and the filler badges."""
    keystore = MemoryKeyStore()
    keystore.add_key(generate_private_key_pem())
    app = build_app(url, keystore, tmp)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        if db.engine.dialect.name == "postgresql":
            for table in ("users", "assertions"):
                db.session.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
            db.session.commit()
    api = ApiClient(app.test_client(), make_token(app, "bench@scale.example", admin=True))
    # A learner who reads the pages that need a session (the feed).
    created = app.test_cli_runner().invoke(
        args=["users", "create", READER, "--name", "Reader", "--password", READER_PASSWORD]
    )
    assert created.exit_code == 0, created.output
    issuer = api.post(
        "/issuers", {"name": "Scale", "url": "https://scale.example", "email": "s@scale.example"}
    )
    assert issuer.status_code == 201, issuer.json
    issuer_id = str(issuer.json["id"])  # type: ignore[index]
    instance = Instance(app, api, issuer_id, [])
    instance.filler_badges = [create_badge(instance, f"Filler {n}") for n in range(FILLER_BADGES)]
    # Warm up (connections, caches, the first statements prepared), as a running server is.
    warm = create_badge(instance, "Warm-up")
    recipients = [f"warm{n}@warm.example" for n in range(1_000)]
    response = api.post(f"/badges/{warm}/awards", {"recipients": recipients, "notify": False})
    assert response.status_code == 201, response.json
    return instance


def create_badge(instance: Instance, name: str) -> str:
    """Create a badge through the API; return its id."""
    response = instance.api.post(
        "/badges",
        {
            "issuer": instance.issuer_id,
            "name": name,
            "description": "Loaded in bulk.",
            "image": data_uri(png_bytes()),
            "criteria": {"narrative": "Be one of many."},
        },
    )
    assert response.status_code == 201, response.json
    return str(response.json["id"])  # type: ignore[index]


def load_rows(
    instance: Instance, start: int, stop: int
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The user and award rows of learners number start .. stop - 1."""
    now = datetime.now(UTC)
    badges = [uuid.UUID(badge) for badge in instance.filler_badges]
    for number in range(start, stop):
        email = f"load{number}@load.example"
        user_id = uuid.uuid4()
        revoked = number % REVOKED_EVERY == 0
        yield (
            {
                "id": user_id,
                "email": email,
                "name": f"Learner {number}",
                "role": "learner",
                "created_at": now,
            },
            {
                "id": uuid.uuid4(),
                "badge_id": badges[number % len(badges)],
                "recipient_id": user_id,
                "recipient_email": email,
                "salt": hashlib.sha256(email.encode()).hexdigest()[:32],
                "issued_on": now,
                "expires": None,
                "narrative": None,
                "evidence": [],
                "revoked": revoked,
                "duplicate": False,
                "revocation_reason": "Loaded revoked." if revoked else None,
                "revoked_at": now if revoked else None,
                "created_at": now,
                "hidden": False,
            },
        )


def load(instance: Instance, size: int) -> float:
    """Bulk-load learners and awards until ``size`` awards are stored; return the seconds."""
    started = time.perf_counter()
    with instance.app.app_context():
        engine = db.engine
        for begin in range(instance.stored, size, LOAD_CHUNK):
            rows = list(load_rows(instance, begin, min(size, begin + LOAD_CHUNK)))
            users = [user for user, _ in rows]
            awards = [award for _, award in rows]
            if engine.dialect.name == "postgresql":
                _copy(engine, "users", users)
                _copy(engine, "assertions", awards)
            else:
                with engine.begin() as connection:
                    connection.execute(insert(User), users)
                    connection.execute(insert(Assertion), awards)
    instance.stored = size
    return time.perf_counter() - started


def _copy(engine: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY rows into a PostgreSQL table (JSON columns as text)."""
    columns = list(rows[0])
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [("[]" if column == "evidence" else row[column]) for column in columns]
                    )
        raw.commit()
    finally:
        raw.close()


def measure(instance: Instance) -> Figures:
    """The award call and the reads, at the size now stored."""
    figures = Figures(stored=instance.stored)
    badge = create_badge(instance, f"Measured at {instance.stored}")
    recipients = [f"new{instance.stored}-{n}@new.example" for n in range(RECIPIENTS)]
    started = time.perf_counter()
    response = instance.api.post(
        f"/badges/{badge}/awards", {"recipients": recipients, "notify": False}
    )
    figures.award_seconds = time.perf_counter() - started
    assert response.status_code == 201, response.json
    filler = instance.filler_badges[0]
    reads = {
        "GET /api/v1/badges": "/api/v1/badges",
        "GET /api/v1/badges/<id>/awards": f"/api/v1/badges/{filler}/awards",
        "GET /feed": "/feed",
        "revocation list": f"/public/issuers/{instance.issuer_id}/revocations",
    }
    client = instance.app.test_client()
    log_in(client, READER, READER_PASSWORD)
    headers = instance.api.headers
    for name, path in reads.items():
        times = []
        for _ in range(READ_REPEATS):
            started = time.perf_counter()
            answer = client.get(path, headers=headers)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, (path, answer.status_code)
        figures.reads_ms[name] = statistics.median(times) * 1000
    return figures


def pg_database(url: str) -> str:
    """Create the benchmark's PostgreSQL database afresh; return its URL."""
    given = make_url(url)
    server = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{given.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{given.database}"'))
    server.dispose()
    return url


def main() -> int:
    """Load, measure and print the figures of each database side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    results: dict[str, list[Figures]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.databases:
            url = (
                pg_database(args.pg_url)
                if name == "postgresql"
                else f"sqlite:///{Path(tmp) / 'scale.db'}"
            )
            instance = make_instance(url, Path(tmp) / name)
            results[name] = []
            for size in sorted(args.sizes):
                seconds = load(instance, size)
                print(f"{name}: loaded {size:,} awards ({seconds:.1f} s)", flush=True)
                figures = measure(instance)
                results[name].append(figures)
                print(f"{name}: {figures}", flush=True)
    print()
    for name, rows in results.items():
        first = rows[0]
        print(f"== {name}")
        print(
            f"  award {RECIPIENTS:,}: "
            + ", ".join(
                f"{f.stored:,} stored {f.award_seconds:.2f} s "
                f"({f.award_seconds / first.award_seconds:.2f}x)"
                for f in rows
            )
        )
        for read in first.reads_ms:
            print(
                f"  {read}: "
                + ", ".join(f"{f.stored:,} stored {f.reads_ms[read]:.1f} ms" for f in rows)
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
