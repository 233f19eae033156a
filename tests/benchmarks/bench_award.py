"""Benchmark: one API call awarding a badge to 10,000 new recipients, on a SQLite file.

Target: under 5 s end to end (JSON parse, validation, inserts, commit, response) on a 2-core
machine. Run from the project root: ``.venv/bin/python -m tests.benchmarks.bench_award``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.test import TestResponse

from issuer.extensions import db
from issuer.openbadges.keys import generate_private_key_pem
from issuer.services.keystore import MemoryKeyStore
from tests.support import ApiClient, build_app, data_uri, make_token, png_bytes

TARGET_SECONDS = 5.0
RECIPIENTS = 10_000
WARMUP_RECIPIENTS = 1_000


def make_app(tmp: Path) -> Flask:
    """An app on a migrated SQLite file in tmp, with one in-memory signing key."""
    keystore = MemoryKeyStore()
    keystore.add_key(generate_private_key_pem())
    app = build_app(f"sqlite:///{tmp / 'award-bench.db'}", keystore, tmp / "data")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    return app


def create_badge(api: ApiClient, issuer_id: str, name: str) -> str:
    """Create a badge through the API and return its id."""
    response = api.post(
        "/badges",
        {
            "issuer": issuer_id,
            "name": name,
            "description": "Awarded in bulk.",
            "image": data_uri(png_bytes()),
            "criteria": {"narrative": "Be one of many."},
        },
    )
    assert response.status_code == 201, response.json
    return str(response.json["id"])  # type: ignore[index]


def award_body(count: int, run: str) -> bytes:
    """The JSON body awarding a badge to ``count`` distinct, never seen addresses."""
    recipients = [f"learner{i:05d}@{run}.bench.example.org" for i in range(count)]
    return json.dumps({"recipients": recipients}).encode("utf-8")


def post_award(client: FlaskClient, token: str, badge_id: str, body: bytes) -> TestResponse:
    """POST an already encoded award body (so the client's JSON encoding is not timed)."""
    return client.post(
        f"/api/v1/badges/{badge_id}/awards",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def check_award(response: TestResponse, body: bytes) -> list[str]:
    """Return what is wrong with an award response (nothing when it is right)."""
    problems = []
    data = response.get_json(silent=True) or {}
    expected = json.loads(body)["recipients"]
    if response.status_code != 201:
        problems.append(f"status {response.status_code}: {str(data)[:300]}")
    if len(data.get("awards", [])) != len(expected):
        problems.append(f"{len(data.get('awards', []))} awards, want {len(expected)}")
    if data.get("created") != len(expected) or data.get("existing") != 0:
        problems.append(f"created={data.get('created')} existing={data.get('existing')}")
    if [a.get("recipient") for a in data.get("awards", [])] != expected:
        problems.append("awards are not in recipient order")
    return problems


def profile(client: FlaskClient, token: str, badge_id: str, body: bytes) -> None:
    """Award once more under cProfile and print the top 15 entries by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    response = post_award(client, token, badge_id, body)
    profiler.disable()
    problems = check_award(response, body)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
    print(f"cProfile of another {RECIPIENTS:,}-recipient award ({problems or 'response OK'}):")
    print(out.getvalue())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile top 15")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Award 10,000 new recipients in one call, print the time and PASS/FAIL."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-award-") as tmp_name:
        app = make_app(Path(tmp_name))
        token = make_token(app, "admin@example.org", admin=True)
        client = app.test_client()
        api = ApiClient(client, token)
        response = api.post(
            "/issuers",
            {
                "name": "Bench Academy",
                "url": "https://academy.example.org",
                "email": "badges@academy.example.org",
            },
        )
        assert response.status_code == 201, response.json
        issuer_id = str(response.json["id"])  # type: ignore[index]

        warmup = award_body(WARMUP_RECIPIENTS, "warmup")
        warmup_response = post_award(client, token, create_badge(api, issuer_id, "Warm-up"), warmup)
        if problems := check_award(warmup_response, warmup):
            print(f"FAIL: warm-up award went wrong: {problems}")
            return 1

        badge_id = create_badge(api, issuer_id, "Ten Thousand")
        body = award_body(RECIPIENTS, "measured")
        start = time.perf_counter()
        response = post_award(client, token, badge_id, body)
        seconds = time.perf_counter() - start
        problems = check_award(response, body)

        print(f"database: SQLite file, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
        print(
            f"request: {len(body):,} bytes; response: {len(response.data):,} bytes, "
            f"status {response.status_code}"
        )
        print(
            f"award of {RECIPIENTS:,} new recipients in one call: {seconds:.3f}s "
            f"(target < {TARGET_SECONDS:.0f}s)"
        )
        if args.profile and not problems:
            profile(
                client,
                token,
                create_badge(api, issuer_id, "Profiled"),
                award_body(RECIPIENTS, "profiled"),
            )
        with app.app_context():
            db.engine.dispose()

    if problems:
        print(f"FAIL: the award response is wrong: {problems}")
        return 1
    if seconds < TARGET_SECONDS:
        print(f"PASS: {seconds:.3f}s < {TARGET_SECONDS:.0f}s")
        return 0
    print(f"FAIL: {seconds:.3f}s >= {TARGET_SECONDS:.0f}s")
    return 1


if __name__ == "__main__":
    sys.exit(main())
