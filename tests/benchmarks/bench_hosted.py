"""Benchmark: hosted assertion GET under load, against a bare Flask endpoint on the same server.

Target: with gunicorn (2 sync workers) the real ``/public/assertions/<uuid>`` answers at least
0.8x the requests per second of ``tests.benchmarks.bare_app``, which serves the same bytes and
headers from memory. Run from the project root:
``.venv/bin/python -m tests.benchmarks.bench_hosted``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import hashlib
import http.client
import io
import json
import os
import pstats
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from tests.support import data_uri, png_bytes

PROJECT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 0.8
HOST = "127.0.0.1"
ACCEPT = "application/ld+json"
REAL_APP = "wsgi:app"
BARE_APP = "tests.benchmarks.bare_app:app"
# The headers a verifier relies on; both servers must send the same values.
COMPARED_HEADERS = ("Content-Type", "Access-Control-Allow-Origin", "Cache-Control", "ETag", "Vary")
RECIPIENT = "learner@example.org"
NARRATIVE = "Awarded for the hosted-assertion benchmark."


@dataclass
class LoadResult:
    """Figures of one load run."""

    requests: int
    seconds: float
    rps: float
    errors: int
    non_2xx: int


@dataclass
class Fixture:
    """The awarded assertion the benchmark reads, and what its document must contain."""

    path: str
    assertion_url: str
    badge_url: str


# --- HTTP helpers -------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Send one request to 127.0.0.1 with http.client (no proxies); return status, headers, body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        sent = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# --- Servers ------------------------------------------------------------------------------


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str], log: Path, probe: str) -> Iterator[None]:
    """Run gunicorn with 2 sync workers in its own process group; always stop it afterwards."""
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"{HOST}:{port}", app]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(process, port, probe, log)
        yield
    finally:
        stop(process)


def wait_ready(process: subprocess.Popen[bytes], port: int, probe: str, log: Path) -> None:
    """Wait until the server answers the probe path below 500 (20 s at most)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
        try:
            status, _, _ = request(port, "GET", probe, headers={"Accept": ACCEPT})
        except OSError:
            time.sleep(0.1)
            continue
        if status < 500:
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within 20 s:\n{tail(log)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server's whole process group: SIGTERM, then SIGKILL after 10 s."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # The master is gone; make sure no orphaned worker of its group survives.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- Setup --------------------------------------------------------------------------------


def init_instance(env: dict[str, str]) -> str:
    """Run ``flask --app wsgi init`` and return the first admin's API token."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "init"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask init failed:\n{result.stdout}\n{result.stderr}")
    match = re.search(r"API token:\s*(\S+)", result.stdout)
    if match is None:
        raise RuntimeError(f"no API token in the output of flask init:\n{result.stdout}")
    return match.group(1)


def create_award(port: int, token: str, base_url: str) -> Fixture:
    """Create an issuer, a badge and one award through the API; return the assertion to read."""
    auth = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, _, raw = request(port, "POST", f"/api/v1{path}", body, auth)
        if status != 201:
            raise RuntimeError(f"POST {path} answered {status}: {raw[:500]!r}")
        data: dict[str, Any] = json.loads(raw)
        return data

    issuer = post(
        "/issuers",
        {
            "name": "Bench Academy",
            "url": "https://academy.example.org",
            "email": "badges@academy.example.org",
        },
    )
    badge = post(
        "/badges",
        {
            "issuer": issuer["id"],
            "name": "Benchmark Badge",
            "description": "Served under load.",
            "image": data_uri(png_bytes()),
            "criteria": {"narrative": "Be fast."},
        },
    )
    awarded = post(
        f"/badges/{badge['id']}/awards", {"recipients": [RECIPIENT], "narrative": NARRATIVE}
    )
    assertion_id = awarded["awards"][0]["id"]
    return Fixture(
        path=f"/public/assertions/{assertion_id}",
        assertion_url=f"{base_url}/public/assertions/{assertion_id}",
        badge_url=f"{base_url}/public/badges/{badge['id']}",
    )


def check_document(body: bytes, fixture: Fixture) -> None:
    """Raise unless the body is the expected hosted Assertion for the fixture."""
    document = json.loads(body)
    expected = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": fixture.assertion_url,
        "badge": fixture.badge_url,
        "verification": {"type": "HostedBadge"},
        "narrative": NARRATIVE,
    }
    for key, value in expected.items():
        if document.get(key) != value:
            raise RuntimeError(f"hosted assertion has {key}={document.get(key)!r}, want {value!r}")
    recipient = document["recipient"]
    digest = hashlib.sha256((RECIPIENT + recipient["salt"]).encode()).hexdigest()
    if recipient != {
        "type": "email",
        "hashed": True,
        "salt": recipient["salt"],
        "identity": f"sha256${digest}",
    }:
        raise RuntimeError(f"unexpected recipient {recipient!r}")


def fetch_checked(port: int, fixture: Fixture) -> tuple[bytes, dict[str, str]]:
    """GET the assertion URL; raise unless it is a 200 JSON-LD answer with the compared headers."""
    status, headers, body = request(port, "GET", fixture.path, headers={"Accept": ACCEPT})
    if status != 200:
        raise RuntimeError(f"GET {fixture.path} answered {status}: {body[:500]!r}")
    picked = {name: headers.get(name, "") for name in COMPARED_HEADERS}
    if not picked["Content-Type"].startswith("application/ld+json"):
        raise RuntimeError(f"unexpected Content-Type {picked['Content-Type']!r}")
    if picked["Access-Control-Allow-Origin"] != "*" or not picked["ETag"]:
        raise RuntimeError(f"missing CORS or ETag header: {picked!r}")
    return body, picked


# --- Load generators ----------------------------------------------------------------------


def run_wrk(url: str, seconds: int, threads: int, connections: int) -> LoadResult:
    """Load a URL with wrk and parse its summary."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-H",
        f"Accept: {ACCEPT}",
        url,
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    out = result.stdout
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if rps is None or total is None:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    seconds_taken = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return LoadResult(
        requests=int(total.group(1)),
        seconds=seconds_taken,
        rps=float(rps.group(1)),
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def _python_worker(
    port: int, paths: Sequence[str], connections: int, deadline: float
) -> tuple[int, int, int]:
    """One load process: ``connections`` threads GET the paths at random until the deadline."""
    counts = [0, 0, 0]  # ok, non-2xx, errors
    lock = threading.Lock()

    def loop() -> None:
        ok = bad = errors = 0
        connection: http.client.HTTPConnection | None = None
        while time.time() < deadline:
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=10)
                path = random.choice(paths)  # noqa: S311  # which award to read, not a secret
                connection.request("GET", path, headers={"Accept": ACCEPT})
                response = connection.getresponse()
                response.read()
                if 200 <= response.status < 400:
                    ok += 1
                else:
                    bad += 1
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                errors += 1
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()
        with lock:
            counts[0] += ok
            counts[1] += bad
            counts[2] += errors

    workers = [threading.Thread(target=loop) for _ in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counts[0], counts[1], counts[2]


def run_python(
    port: int, paths: Sequence[str], seconds: int, processes: int, connections: int
) -> LoadResult:
    """Load URLs with ``processes`` processes of http.client threads (fallback without wrk)."""
    per_process = max(1, connections // processes)
    start = time.time()
    deadline = start + seconds
    with concurrent.futures.ProcessPoolExecutor(processes) as pool:
        futures = [
            pool.submit(_python_worker, port, paths, per_process, deadline)
            for _ in range(processes)
        ]
        results = [future.result() for future in futures]
    elapsed = time.time() - start
    ok = sum(r[0] for r in results)
    non_2xx = sum(r[1] for r in results)
    return LoadResult(
        requests=ok + non_2xx,
        seconds=elapsed,
        rps=(ok + non_2xx) / elapsed,
        errors=sum(r[2] for r in results),
        non_2xx=non_2xx,
    )


# --- In-process cost ----------------------------------------------------------------------


def wsgi_cost(app: Any, path: str, calls: int) -> float:
    """Microseconds of CPU per GET of path through a WSGI app called directly (no server)."""
    template = EnvironBuilder(path=path, headers=[("Accept", ACCEPT)]).get_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"in-process GET {path} answered {status}")

    def one() -> None:
        result = app(dict(template), start_response)
        b"".join(result)
        getattr(result, "close", lambda: None)()

    for _ in range(min(200, calls)):
        one()
    start = time.process_time()
    for _ in range(calls):
        one()
    return (time.process_time() - start) / calls * 1e6


def in_process(env: dict[str, str], path: str, calls: int, profile: bool) -> tuple[float, float]:
    """Per-request CPU of the bare and the real app in this process; optionally a cProfile."""
    os.environ.update({k: v for k, v in env.items() if k.startswith(("ISSUER_", "BENCH_"))})
    from issuer import create_app
    from tests.benchmarks import bare_app

    real_app = create_app()
    bare = wsgi_cost(bare_app.app, path, calls)
    real = wsgi_cost(real_app, path, calls)
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(wsgi_cost, real_app, path, calls)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(f"cProfile of {calls} in-process GETs of the hosted assertion:\n{out.getvalue()}")
    return bare, real


# --- Main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="bare/real pairs measured")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads / load processes")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print a cProfile of the hosted GET called in-process",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Set up an instance, load both servers alternately, print the figures and PASS/FAIL."""
    args = parse_args(argv)
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and shutil.which("wrk") is not None)
    if use_wrk and shutil.which("wrk") is None:
        print("wrk is not installed", file=sys.stderr)
        return 1
    started = time.monotonic()
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-hosted-") as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "gunicorn.log"
        env = {
            **os.environ,
            "ISSUER_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "ISSUER_DATA_DIR": str(tmp / "data"),
            "ISSUER_KEYS_DIR": str(tmp / "keys"),
            "ISSUER_BASE_URL": base_url,
            "ISSUER_SECRET_KEY": "bench-secret-key",
            "BENCH_BODY_FILE": str(tmp / "body.json"),
            "BENCH_HEADERS_FILE": str(tmp / "headers.json"),
        }
        try:
            token = init_instance(env)
            with gunicorn(REAL_APP, port, env, log, probe="/"):
                fixture = create_award(port, token, base_url)
                body, headers = fetch_checked(port, fixture)
                check_document(body, fixture)
            (tmp / "body.json").write_bytes(body)
            (tmp / "headers.json").write_text(json.dumps(headers))
            print(f"assertion: {fixture.assertion_url} ({len(body)} bytes)")
            print(f"headers:   {headers}")

            def measure(app: str) -> LoadResult:
                with gunicorn(app, port, env, log, probe=fixture.path):
                    got_body, got_headers = fetch_checked(port, fixture)
                    if got_body != body or got_headers != headers:
                        raise RuntimeError(f"{app} answered a different body or headers")
                    load(args.warmup)
                    return load(args.duration)

            def load(seconds: int) -> LoadResult:
                if use_wrk:
                    return run_wrk(base_url + fixture.path, seconds, args.threads, args.connections)
                return run_python(port, [fixture.path], seconds, args.threads, args.connections)

            loader = (
                f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
                if use_wrk
                else f"python http.client, {args.threads} processes x "
                f"{args.connections // args.threads} threads, {args.duration}s"
            )
            print(f"load generator: {loader} (+{args.warmup}s warm-up per server start)")
            print(
                f"servers: gunicorn -w 2 (sync) on {base_url}, started one at a time; "
                f"{os.cpu_count()} CPUs"
            )
            runs: dict[str, list[LoadResult]] = {"bare": [], "real": []}
            for number in range(1, args.rounds + 1):
                for name, app in (("bare", BARE_APP), ("real", REAL_APP)):
                    result = measure(app)
                    runs[name].append(result)
                    print(
                        f"  round {number} {name:4}: {result.rps:9.1f} req/s "
                        f"({result.requests} requests in {result.seconds:.2f}s, "
                        f"non-2xx {result.non_2xx}, socket errors {result.errors})"
                    )
            bare_us, real_us = in_process(env, fixture.path, 3000, args.profile)
        except (RuntimeError, subprocess.SubprocessError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            print("FAIL: benchmark could not run")
            return 1

    bare = statistics.median(r.rps for r in runs["bare"])
    real = statistics.median(r.rps for r in runs["real"])
    ratio = real / bare
    failures = sum(r.non_2xx + r.errors for rs in runs.values() for r in rs)
    print(f"bare Flask endpoint (median of {args.rounds}): {bare:9.1f} req/s")
    print(f"hosted assertion    (median of {args.rounds}): {real:9.1f} req/s")
    print(f"ratio = real/bare = {ratio:.3f} (target >= {TARGET_RATIO})")
    print(
        f"in-process CPU per request, no server: bare {bare_us:.0f} us, real {real_us:.0f} us "
        f"(real/bare cost {real_us / bare_us:.1f}x)"
    )
    print(f"wall time: {time.monotonic() - started:.1f}s")
    if failures:
        print(f"FAIL: {failures} failed requests (non-2xx or socket errors) during the runs")
        return 1
    if ratio >= TARGET_RATIO:
        print(f"PASS: hosted assertion GET at {ratio:.2f}x the bare endpoint (>= {TARGET_RATIO}x)")
        return 0
    print(f"FAIL: hosted assertion GET at {ratio:.2f}x the bare endpoint (< {TARGET_RATIO}x)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
