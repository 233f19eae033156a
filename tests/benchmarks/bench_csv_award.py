"""Benchmark: one API call awarding a badge from a 10,000-row CSV file, on a SQLite file.

Target: under 10 s end to end (upload, parse, check every row, insert, notify, commit,
response) on a 2-core machine. Awards of a batch this large are signed on first use, not in
the call (issuer.services.awards.EAGER_SIGNING_LIMIT); the script checks that one signs. As a
baseline, the same run times a JSON award to 10,000 other new recipients.
Run from the project root: ``.venv/bin/python -m tests.benchmarks.bench_csv_award``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from issuer.extensions import db
from tests.benchmarks.bench_award import award_body, create_badge, make_app, post_award
from tests.support import ApiClient, make_token

TARGET_SECONDS = 10.0
ROWS = 10_000


def csv_file(rows: int, run: str) -> bytes:
    """A CSV file with every column filled, for ``rows`` never seen addresses."""
    lines = ["email,name,narrative,evidence_url,issued_on,expires"]
    lines += [
        f'learner{i:05d}@{run}.bench.example.org,"Learner {i}, Jr.",'
        f'"Won heat {i % 40} of the contest",https://contest.example.org/heats/{i},'
        "2026-03-01,2028-03-01"
        for i in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def post_csv(client: FlaskClient, token: str, badge_id: str, body: bytes) -> TestResponse:
    """POST a CSV file to the badge's awards."""
    return client.post(
        f"/api/v1/badges/{badge_id}/awards",
        data=body,
        content_type="text/csv",
        headers={"Authorization": f"Bearer {token}"},
    )


def check(response: TestResponse, rows: int) -> list[str]:
    """Return what is wrong with an award response (nothing when it is right)."""
    data = response.get_json(silent=True) or {}
    problems = []
    if response.status_code != 201:
        problems.append(f"status {response.status_code}: {str(data)[:300]}")
    if data.get("created") != rows or len(data.get("awards", [])) != rows:
        problems.append(f"created={data.get('created')}, {len(data.get('awards', []))} awards")
    return problems


def main() -> int:
    """Award from a 10,000-row file and from a 10,000-recipient JSON body; print PASS/FAIL."""
    with tempfile.TemporaryDirectory(prefix="bench-csv-") as tmp_name:
        app = make_app(Path(tmp_name))
        token = make_token(app, "admin@example.org", admin=True)
        client = app.test_client()
        api = ApiClient(client, token)
        issuer = api.post(
            "/issuers",
            {"name": "Bench", "url": "https://bench.example.org", "email": "b@example.org"},
        )
        issuer_id = str(issuer.json["id"])  # type: ignore[index]
        warmup = post_csv(
            client, token, create_badge(api, issuer_id, "Warm-up"), csv_file(500, "w")
        )
        if problems := check(warmup, 500):
            print(f"FAIL: warm-up went wrong: {problems}")
            return 1

        body = csv_file(ROWS, "csv")
        badge_id = create_badge(api, issuer_id, "From CSV")
        start = time.perf_counter()
        response = post_csv(client, token, badge_id, body)
        seconds = time.perf_counter() - start
        problems = check(response, ROWS)

        json_body = award_body(ROWS, "json")
        json_badge = create_badge(api, issuer_id, "From JSON")
        start = time.perf_counter()
        json_response = post_award(client, token, json_badge, json_body)
        baseline = time.perf_counter() - start
        if json_response.status_code != 201:
            problems.append(f"baseline JSON award answered {json_response.status_code}")
        sample = (response.get_json(silent=True) or {}).get("awards", [{}])[0]
        # Awards of a batch this large are signed on first use; check that this works.
        signed = client.get(f"/public/assertions/{sample.get('id')}/signed")
        if signed.status_code != 200 or signed.text.count(".") != 2:
            problems.append(f"the signed form answered {signed.status_code}")
        with app.app_context():
            db.engine.dispose()

    print(f"database: SQLite file, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"file: {ROWS:,} rows, {len(body):,} bytes; response {len(response.data):,} bytes")
    shown = {key: sample.get(key) for key in ("recipient", "narrative", "evidence", "signed")}
    print(f"first award: {json.dumps(shown)}")
    print(
        f"CSV award of {ROWS:,} rows in one call: {seconds:.3f}s (target < {TARGET_SECONDS:.0f}s)"
    )
    print(f"baseline, JSON award of {ROWS:,} recipients: {baseline:.3f}s")
    print(f"ratio CSV/JSON: {seconds / baseline:.2f}x")
    if problems:
        print(f"FAIL: {problems}")
        return 1
    if seconds < TARGET_SECONDS:
        print(f"PASS: {seconds:.3f}s < {TARGET_SECONDS:.0f}s")
        return 0
    print(f"FAIL: {seconds:.3f}s >= {TARGET_SECONDS:.0f}s")
    return 1


if __name__ == "__main__":
    sys.exit(main())
