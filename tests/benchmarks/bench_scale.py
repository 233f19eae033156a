"""Benchmark: does the cost of a request stay flat as the awards stored grow to a million?

For each database (SQLite and PostgreSQL) the script migrates a fresh database, creates an
issuer and badges through the API, then bulk-loads learners and awards through the database's
own bulk path (PostgreSQL: COPY; SQLite: executemany in one transaction) up to each size asked
for, and measures at each size:

- one API call awarding a badge to 10,000 new recipients (``"notify": false``);
- one API call reporting that 10,000 new learners completed a course stage (each earns the
  stage's badge); both calls add to what is stored for the next size;
- the server time of the reads that must stay flat: the API's badge, award and user lists,
  the feed, the catalogue, a profile, the revocation and status lists, Studio's badge and
  people lists and its award form;
- hosted GETs of random stored awards per second under gunicorn, against a bare Flask endpoint
  serving the same bytes (the same load, the same port, in turn).

Autovacuum is switched off on the loaded tables, so the planner statistics stay as stale as a
bulk load leaves them on a busy server: the app must be fast without them.

Run from the project root (PostgreSQL on 127.0.0.1:5432, trust auth, as in CI)::

    .venv/bin/python -m tests.benchmarks.bench_scale

The default sizes are 0 (an empty database: the award target is relative to it), 10,000 and
1,000,000; the table's ratio column compares the largest size with 10,000. ``--json FILE``
also writes the figures, which bench_before_after.py uses to compare two commits.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, insert, make_url, select, text

from issuer.extensions import db
from issuer.models import Assertion, User
from issuer.openbadges.keys import generate_private_key_pem
from issuer.openbadges.signing import read_unverified
from issuer.services.keystore import FileKeyStore
from tests.benchmarks import bench_hosted as hosted
from tests.support import BASE_URL, ApiClient, build_app, data_uri, log_in, make_token, png_bytes

RECIPIENTS = 10_000
# Stored awards are spread over this many badges, one in a hundred of them revoked.
FILLER_BADGES = 10
REVOKED_EVERY = 100
LOAD_CHUNK = 50_000
READ_REPEATS = 5
HOSTED_AWARDS = 500
# Targets: every read under 50 ms server time; on PostgreSQL the 10,000-recipient award under
# 2 s and within 1.2x of that at the largest size, and hosted GETs at 0.9x a bare endpoint.
READ_TARGET_MS = 50.0
AWARD_TARGET_S = 2.0
AWARD_GROWTH = 1.2
HOSTED_RATIO = 0.9
HOSTED_ROUNDS = 2
HOSTED_SECONDS = 5
READER = "reader@scale.example"
ADMIN = "admin@scale.example"
PASSWORD = "bench-password"  # throwaway benchmark accounts
REFERENCE_SIZE = 10_000
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/issuer_bench_scale"


@dataclass
class Figures:
    """What one database measured at one size."""

    stored: int
    award_seconds: float = 0.0
    completion_seconds: float = 0.0
    reads_ms: dict[str, float] = field(default_factory=dict)
    # Requests per second of hosted GETs of random awards, and of the bare Flask endpoint.
    hosted_rps: float = 0.0
    bare_rps: float = 0.0


@dataclass
class Instance:
    """A migrated database with its app, an admin's API client and the badges to fill."""

    app: Flask
    api: ApiClient
    issuer_id: str
    filler_badges: list[str]
    url: str
    folder: Path
    status_list: str = ""
    stored: int = 0


def make_instance(url: str, tmp: Path) -> Instance:
    """A fresh app on an empty, migrated database, with an issuer and the filler badges."""
    keystore = FileKeyStore(tmp / "keys")
    keystore.add_key(generate_private_key_pem())
    app = build_app(url, keystore, tmp / "data")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        if db.engine.dialect.name == "postgresql":
            for table in ("users", "assertions"):
                db.session.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
            db.session.commit()
    api = ApiClient(app.test_client(), make_token(app, "bench@scale.example", admin=True))
    # A learner and an admin who read the pages that need a session (feed, profile, Studio).
    for email, admin in ((READER, False), (ADMIN, True)):
        args = ["users", "create", email, "--name", email.split("@")[0], "--password", PASSWORD]
        created = app.test_cli_runner().invoke(args=[*args, "--admin"] if admin else args)
        assert created.exit_code == 0, created.output
    issuer = api.post(
        "/issuers", {"name": "Scale", "url": "https://scale.example", "email": "s@scale.example"}
    )
    assert issuer.status_code == 201, issuer.json
    issuer_id = str(issuer.json["id"])  # type: ignore[index]
    instance = Instance(app, api, issuer_id, [], url, tmp)
    instance.filler_badges = [create_badge(instance, f"Filler {n}") for n in range(FILLER_BADGES)]
    # Warm up (connections, caches, the first statements prepared), as a running server is.
    warm = create_badge(instance, "Warm-up")
    recipients = [READER] + [f"warm{n}@warm.example" for n in range(1_000)]
    response = api.post(f"/badges/{warm}/awards", {"recipients": recipients, "notify": False})
    assert response.status_code == 201, response.json
    # The reader's OB 3.0 credential: its status list is one of the reads measured.
    first = response.json["awards"][0]  # type: ignore[index]
    credential = app.test_client().get(f"/public/assertions/{first['id']}/credential")
    assert credential.status_code == 200, credential.status_code
    payload = read_unverified(credential.get_data(as_text=True)).payload
    instance.status_list = payload["credentialStatus"]["statusListCredential"]
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
    """The award and completion calls and the reads, at the size now stored."""
    figures = Figures(stored=instance.stored)
    size = instance.stored
    badge = create_badge(instance, f"Measured at {size}")
    recipients = [f"new{size}-{n}@new.example" for n in range(RECIPIENTS)]
    figures.award_seconds = timed_post(
        instance, f"/badges/{badge}/awards", {"recipients": recipients, "notify": False}
    )
    stage_badge = create_badge(instance, f"Stage at {size}")
    course = instance.api.post(
        "/courses", {"name": f"Course at {size}", "stages": [{"name": "One", "badge": stage_badge}]}
    )
    assert course.status_code == 201, course.json
    course_id, stage_id = course.json["id"], course.json["stages"][0]["id"]  # type: ignore[index]
    learners = [f"learner{size}-{n}@new.example" for n in range(RECIPIENTS)]
    figures.completion_seconds = timed_post(
        instance, f"/courses/{course_id}/stages/{stage_id}/completions", {"users": learners}
    )
    figures.reads_ms = time_reads(instance)
    figures.hosted_rps, figures.bare_rps = hosted_rates(instance)
    return figures


def timed_post(instance: Instance, path: str, body: dict[str, Any]) -> float:
    """Seconds one API POST takes; it must succeed."""
    started = time.perf_counter()
    response = instance.api.post(path, body)
    seconds = time.perf_counter() - started
    assert response.status_code == 201, (path, response.status_code, response.json)
    return seconds


def time_reads(instance: Instance) -> dict[str, float]:
    """The median milliseconds of each read that must stay flat."""
    learner, admin = instance.app.test_client(), instance.app.test_client()
    log_in(learner, READER, PASSWORD)
    log_in(admin, ADMIN, PASSWORD)
    api = instance.api
    reader_id = (api.get(f"/users?email={READER}").json or {})["users"][0]["id"]
    filler = instance.filler_badges[0]
    reads: dict[str, Callable[[], Any]] = {
        "API badge list": lambda: api.get("/badges"),
        "API award list page": lambda: api.get(f"/badges/{filler}/awards?page=2"),
        "API user list page": lambda: api.get("/users?page=2"),
        "feed": lambda: learner.get("/feed"),
        "catalogue": lambda: learner.get("/badges"),
        "profile": lambda: learner.get(f"/users/{reader_id}"),
        "revocation list": lambda: learner.get(f"/public/issuers/{instance.issuer_id}/revocations"),
        "status list": lambda: learner.get(instance.status_list.removeprefix(BASE_URL)),
        "Studio badges": lambda: admin.get("/studio/badges"),
        "Studio people": lambda: admin.get("/studio/users"),
        "Studio award form": lambda: admin.get(f"/studio/users/{reader_id}/award"),
    }
    figures = {}
    for name, read in reads.items():
        times = []
        for _ in range(READ_REPEATS):
            started = time.perf_counter()
            answer = read()
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, (name, answer.status_code)
        figures[name] = statistics.median(times) * 1000
    return figures


def hosted_rates(instance: Instance) -> tuple[float, float]:
    """Hosted GETs of random stored awards per second under gunicorn, and of the bare endpoint.

    Both servers run in turn on the same port with the same load (bench_hosted's), twice
    each; the medians are returned.
    """
    with instance.app.app_context():
        ids = list(
            db.session.scalars(
                select(Assertion.id)
                .where(Assertion.revoked.is_(False))
                .order_by(func.random())
                .limit(HOSTED_AWARDS)
            )
        )
    paths = [f"/public/assertions/{assertion_id}" for assertion_id in ids]
    port = hosted.free_port()
    folder = instance.folder
    env = {
        **os.environ,
        "ISSUER_DATABASE_URL": instance.url,
        "ISSUER_DATA_DIR": str(folder / "data"),
        "ISSUER_KEYS_DIR": str(folder / "keys"),
        "ISSUER_BASE_URL": BASE_URL,
        "ISSUER_SECRET_KEY": "bench-secret-key",
        "ISSUER_OUTBOX_DELIVERY": "off",
        "BENCH_BODY_FILE": str(folder / "body.json"),
        "BENCH_HEADERS_FILE": str(folder / "headers.json"),
    }
    log = folder / "gunicorn.log"
    fixture = hosted.Fixture(paths[0], "", "")
    with hosted.gunicorn(hosted.REAL_APP, port, env, log, probe=paths[0]):
        body, headers = hosted.fetch_checked(port, fixture)
    (folder / "body.json").write_bytes(body)
    (folder / "headers.json").write_text(json.dumps(headers))
    rates: dict[str, list[float]] = {hosted.REAL_APP: [], hosted.BARE_APP: []}
    for _ in range(HOSTED_ROUNDS):
        for app in (hosted.BARE_APP, hosted.REAL_APP):
            with hosted.gunicorn(app, port, env, log, probe=paths[0]):
                hosted.run_python(port, paths, 2, 2, 16)  # warm-up
                result = hosted.run_python(port, paths, HOSTED_SECONDS, 2, 16)
            if result.non_2xx or result.errors:
                raise RuntimeError(f"{app}: {result.non_2xx} non-2xx, {result.errors} errors")
            rates[app].append(result.rps)
    return statistics.median(rates[hosted.REAL_APP]), statistics.median(rates[hosted.BARE_APP])


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
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, REFERENCE_SIZE, 1_000_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
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
    if args.json:
        args.json.write_text(
            json.dumps(
                {name: [dataclasses.asdict(f) for f in rows] for name, rows in results.items()}
            )
        )
    print()
    print(table(results))
    failures = [failure for name, rows in results.items() for failure in check(name, rows)]
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("PASS: every target holds")
    return 1 if failures else 0


def figure_rows(results: dict[str, list[Figures]]) -> list[tuple[str, Callable[[Figures], float]]]:
    """Each figure of the table: its label and how to read it off a database's figures."""
    rows: list[tuple[str, Callable[[Figures], float]]] = [
        (f"award to {RECIPIENTS:,}, s", lambda f: f.award_seconds),
        (f"{RECIPIENTS:,} completions, s", lambda f: f.completion_seconds),
    ]
    first = next(iter(results.values()))[0]
    rows += [(f"{read}, ms", _reading(read)) for read in first.reads_ms]
    rows += [
        ("hosted GET, req/s", lambda f: f.hosted_rps),
        ("bare Flask, req/s", lambda f: f.bare_rps),
        ("hosted / bare", lambda f: f.hosted_rps / f.bare_rps),
    ]
    return rows


def table(results: dict[str, list[Figures]]) -> str:
    """The figures side by side: a column per database and size, and the largest size's ratio.

    The ratio compares the largest size with 10,000 stored (or the smallest size, when 10,000
    was not measured).
    """
    header = ["figure"]
    for name, rows in results.items():
        base, last = reference(rows), rows[-1]
        header += [f"{name} {_size(f.stored)}" for f in rows]
        header.append(f"{_size(last.stored)}/{_size(base.stored)}")
    lines = [header]
    for label, value in figure_rows(results):
        line = [label]
        for rows in results.values():
            base, last = reference(rows), rows[-1]
            line += [f"{value(f):.2f}" for f in rows]
            line.append(f"{value(last) / value(base):.2f}x" if value(base) else "")
        lines.append(line)
    return render(lines)


def render(lines: list[list[str]]) -> str:
    """Align a table's columns."""
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def reference(rows: list[Figures]) -> Figures:
    """The figures at 10,000 stored, or at the smallest size measured."""
    return next((f for f in rows if f.stored == REFERENCE_SIZE), rows[0])


def _size(stored: int) -> str:
    if stored >= 1_000_000 and stored % 1_000_000 == 0:
        return f"{stored // 1_000_000}M"
    if stored >= 1_000 and stored % 1_000 == 0:
        return f"{stored // 1_000}k"
    return str(stored)


def _reading(read: str) -> Callable[[Figures], float]:
    return lambda figures: figures.reads_ms[read]


def check(name: str, rows: list[Figures]) -> Iterator[str]:
    """The targets one database misses (award and hosted targets are PostgreSQL's).

    The award's growth is measured against the smallest size (an empty database by default).
    """
    for figures in rows:
        for read, ms in figures.reads_ms.items():
            if ms >= READ_TARGET_MS:
                yield f"{name}, {figures.stored:,} stored: {read} {ms:.1f} ms"
    if name != "postgresql":
        return
    first, last = rows[0], rows[-1]
    if first.award_seconds >= AWARD_TARGET_S:
        yield f"{name}: award to {RECIPIENTS:,} took {first.award_seconds:.2f} s"
    if last.award_seconds > AWARD_GROWTH * first.award_seconds:
        yield (
            f"{name}: award to {RECIPIENTS:,} at {last.stored:,} stored is "
            f"{last.award_seconds / first.award_seconds:.2f}x that at {first.stored:,}"
        )
    for figures in rows:
        if figures.hosted_rps < HOSTED_RATIO * figures.bare_rps:
            yield (
                f"{name}, {figures.stored:,} stored: hosted GET at "
                f"{figures.hosted_rps / figures.bare_rps:.2f}x the bare endpoint"
            )


if __name__ == "__main__":
    raise SystemExit(main())
