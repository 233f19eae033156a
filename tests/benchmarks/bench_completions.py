"""Benchmark: stage completions reported one request at a time, through gunicorn -w 2.

Target: at least 200 completions per second, each one a request that records the completion
and awards the stage's badge (signed, with a notification and an e-mail queued), on a SQLite
file. As a baseline, the same run reports the rate of a bare Flask endpoint on the same
server settings (tests/benchmarks/bare_app.py), requested the same way. It also reports the
CPU time of one completion called in-process through the WSGI app, without a server: the
steadier figure for comparing two versions of the code (requests/s move by a fifth between
runs here).
Run from the project root: ``.venv/bin/python -m tests.benchmarks.bench_completions``.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_hosted import (
    BARE_APP,
    HOST,
    REAL_APP,
    free_port,
    gunicorn,
    init_instance,
)

TARGET_PER_SECOND = 200.0
COMPLETIONS = 1_000
WARMUP = 100
STAGES = 5


class Client:
    """One keep-alive HTTP connection, reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """Send one request and read the whole answer."""
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                return response.status, data
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def api(client: Client, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON to the API and return the answer, which must be 200 or 201."""
    status, raw = client.send(
        "POST",
        f"/api/v1{path}",
        json.dumps(body).encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    if status not in (200, 201):
        raise RuntimeError(f"POST {path} answered {status}: {raw[:300]!r}")
    data: dict[str, Any] = json.loads(raw)
    return data


def set_up_course(client: Client, token: str) -> tuple[str, list[str]]:
    """Create an issuer, one badge per stage and a course; return its id and stage ids."""
    from tests.support import data_uri, png_bytes

    issuer = api(
        client,
        token,
        "/issuers",
        {"name": "Bench", "url": "https://b.example.org", "email": "b@example.org"},
    )
    image = data_uri(png_bytes())
    stages = []
    for n in range(STAGES):
        badge = api(
            client,
            token,
            "/badges",
            {
                "issuer": issuer["id"],
                "name": f"Stage {n + 1}",
                "description": "A stage of the benchmark course.",
                "image": image,
                "criteria": {"narrative": "Complete the stage."},
            },
        )
        stages.append({"name": f"Stage {n + 1}", "badge": badge["id"]})
    course = api(client, token, "/courses", {"name": "Bench course", "stages": stages})
    return course["id"], [stage["id"] for stage in course["stages"]]


def completions(
    course_id: str, stage_ids: list[str], count: int, run: str
) -> list[tuple[str, bytes]]:
    """The requests: every learner completes each stage in turn, each a new award."""
    requests = []
    for i in range(count):
        learner, stage = divmod(i, len(stage_ids))
        body = json.dumps({"user": f"learner{learner:05d}@{run}.bench.example.org"}).encode()
        requests.append(
            (f"/api/v1/courses/{course_id}/stages/{stage_ids[stage]}/completions", body)
        )
    return requests


def run(client: Client, token: str, requests: list[tuple[str, bytes]]) -> float:
    """Send the requests one at a time; return completions per second."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    start = time.perf_counter()
    for path, body in requests:
        status, raw = client.send("POST", path, body, headers)
        if status != 201:
            raise RuntimeError(f"a completion answered {status}: {raw[:300]!r}")
    return len(requests) / (time.perf_counter() - start)


IN_PROCESS = 500


def in_process_cost(env: dict[str, str], token: str, course_id: str, stage_ids: list[str]) -> float:
    """CPU milliseconds per completion called through the WSGI app in this process."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("ISSUER_")})
    from issuer import create_app

    client = create_app().test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def send(requests: list[tuple[str, bytes]]) -> None:
        for path, body in requests:
            response = client.post(path, data=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"a completion answered {response.status_code}")

    send(completions(course_id, stage_ids, WARMUP, "inprocess-warmup"))
    start = time.process_time()
    send(completions(course_id, stage_ids, IN_PROCESS, "inprocess"))
    return (time.process_time() - start) / IN_PROCESS * 1e3


def bare_rate(port: int, env: dict[str, str], log: Path) -> float:
    """Requests per second of the bare endpoint, requested one at a time the same way."""
    path = "/public/assertions/00000000-0000-4000-8000-000000000000"
    with gunicorn(BARE_APP, port, env, log, probe=path):
        client = Client(port)
        start = time.perf_counter()
        for _ in range(COMPLETIONS):
            status, _ = client.send("GET", path, None, {})
            if status != 200:
                raise RuntimeError(f"the bare app answered {status}")
        return COMPLETIONS / (time.perf_counter() - start)


def main() -> int:
    """Set up an instance, send 1,000 completions one by one, print the rate and PASS/FAIL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-completions-") as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "gunicorn.log"
        env = {
            **os.environ,
            "ISSUER_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "ISSUER_DATA_DIR": str(tmp / "data"),
            "ISSUER_KEYS_DIR": str(tmp / "keys"),
            "ISSUER_BASE_URL": f"http://{HOST}:{port}",
            "ISSUER_SECRET_KEY": "bench-secret-key",
            "BENCH_BODY_FILE": str(tmp / "body.json"),
            "BENCH_HEADERS_FILE": str(tmp / "headers.json"),
        }
        (tmp / "body.json").write_text('{"ok": true}')
        (tmp / "headers.json").write_text(json.dumps({"Content-Type": "application/json"}))
        token = init_instance(env)
        with gunicorn(REAL_APP, port, env, log, probe="/"):
            client = Client(port)
            course_id, stage_ids = set_up_course(client, token)
            run(client, token, completions(course_id, stage_ids, WARMUP, "warmup"))
            rate = run(client, token, completions(course_id, stage_ids, COMPLETIONS, "measured"))
        baseline = bare_rate(port, env, log)
        cpu = in_process_cost({**env, "ISSUER_OUTBOX_DELIVERY": "off"}, token, course_id, stage_ids)

    print(f"database: SQLite file, gunicorn -w 2 (sync), {os.cpu_count()} CPUs")
    target = f"target >= {TARGET_PER_SECOND:.0f}/s"
    print(f"{COMPLETIONS:,} stage completions, one request at a time: {rate:.0f}/s ({target})")
    print(f"baseline, bare Flask endpoint requested the same way: {baseline:.0f}/s")
    print(f"ratio completions/bare: {rate / baseline:.2f}")
    print(f"in-process, without a server: {cpu:.2f} ms CPU per completion ({IN_PROCESS} calls)")
    if rate >= TARGET_PER_SECOND:
        print(f"PASS: {rate:.0f}/s >= {TARGET_PER_SECOND:.0f}/s")
        return 0
    print(f"FAIL: {rate:.0f}/s < {TARGET_PER_SECOND:.0f}/s")
    return 1


if __name__ == "__main__":
    sys.exit(main())
