"""Benchmark: the baked image and the signed form of an award under load, against its hosted GET.

Target: with gunicorn (2 sync workers), ``/public/assertions/<id>/image`` and ``.../signed``
each answer at least 0.7x the requests per second of the hosted assertion
``/public/assertions/<id>``, all three measured on one server in the same run, alternately.
Run from the project root: ``.venv/bin/python -m tests.benchmarks.bench_exports``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.benchmarks.bench_hosted import (
    HOST,
    REAL_APP,
    LoadResult,
    create_award,
    free_port,
    gunicorn,
    init_instance,
    request,
    run_python,
    run_wrk,
)

TARGET_RATIO = 0.7


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the three URLs")
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per URL")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Set up an instance, load the three URLs alternately, print the figures and PASS/FAIL."""
    args = parse_args(argv)
    use_wrk = shutil.which("wrk") is not None
    started = time.monotonic()
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp_name:
        tmp = Path(tmp_name)
        env = {
            **os.environ,
            "ISSUER_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "ISSUER_DATA_DIR": str(tmp / "data"),
            "ISSUER_KEYS_DIR": str(tmp / "keys"),
            "ISSUER_BASE_URL": base_url,
            "ISSUER_SECRET_KEY": "bench-secret-key",
        }
        token = init_instance(env)
        with gunicorn(REAL_APP, port, env, tmp / "gunicorn.log", probe="/"):
            fixture = create_award(port, token, base_url)
            paths = {
                "hosted": fixture.path,
                "image": fixture.path + "/image",
                "signed": fixture.path + "/signed",
            }
            for name, path in paths.items():
                status, headers, body = request(port, "GET", path)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
                print(f"{name:7} {path} -> {headers.get('Content-Type')}, {len(body)} bytes")

            def load(path: str, seconds: int) -> LoadResult:
                if use_wrk:
                    return run_wrk(base_url + path, seconds, 2, args.connections)
                return run_python(port, path, seconds, 2, args.connections)

            results: dict[str, list[float]] = {name: [] for name in paths}
            for round_number in range(1, args.rounds + 1):
                for name, path in paths.items():
                    load(path, args.warmup)
                    result = load(path, args.duration)
                    if result.non_2xx or result.errors:
                        raise RuntimeError(
                            f"{name}: {result.non_2xx} non-2xx, {result.errors} errors"
                        )
                    results[name].append(result.rps)
                    print(f"  round {round_number} {name:7} {result.rps:8.1f} req/s")
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"load generator: {'wrk' if use_wrk else 'python'} -c{args.connections}, "
        f"gunicorn -w 2 (sync), {os.cpu_count()} CPUs"
    )
    failed = []
    for name in ("image", "signed"):
        ratio = medians[name] / medians["hosted"]
        print(
            f"{name:7} {medians[name]:8.1f} req/s vs hosted {medians['hosted']:8.1f}: "
            f"ratio {ratio:.3f} (target >= {TARGET_RATIO})"
        )
        if ratio < TARGET_RATIO:
            failed.append(f"{name} at {ratio:.2f}x")
    print(f"wall time: {time.monotonic() - started:.1f}s")
    if failed:
        print(f"FAIL: {', '.join(failed)} the hosted GET (< {TARGET_RATIO}x)")
        return 1
    print(f"PASS: image and signed GETs at >= {TARGET_RATIO}x the hosted GET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
