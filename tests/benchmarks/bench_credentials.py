"""Benchmark: OB 3.0 Data Integrity credentials: making one, and serving a made one under load.

Targets: canonicalising and signing one credential (eddsa-rdfc-2022) takes under 50 ms
(median) on this machine; under load, GET of a made ``credential.json`` reaches at least 0.8x
the requests per second of the hosted assertion GET, on the same server in the same run.
Run from the project root: ``.venv/bin/python -m tests.benchmarks.bench_credentials``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuer.config import SCHEMAS_DIR
from issuer.openbadges import dataintegrity, ob3
from issuer.openbadges.did import verification_method
from issuer.openbadges.jsonld import load_contexts
from issuer.openbadges.keys import public_key_multibase
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
    wsgi_cost,
)

SIGN_TARGET_MS = 50.0
GET_TARGET_RATIO = 0.8
DID = "did:web:badges.example.org:public:issuers:7c0d5b0e-1f0a-4c8e-9a55-3f1d2a6b7c8d"


def credential() -> dict[str, object]:
    """A credential as the server builds it, with every optional part filled in."""
    return ob3.build_credential(
        ob3.CredentialData(
            id="urn:uuid:2b6d3c8e-5f4a-4e1b-9c7d-8a0f1e2d3c4b",
            issuer=ob3.ProfileData(
                id=DID,
                name="Bench Academy",
                url="https://academy.example.org",
                email="badges@academy.example.org",
                description="Teaching since 1900.",
                image="https://badges.example.org/public/issuers/1/image",
            ),
            achievement=ob3.AchievementData(
                id="https://badges.example.org/public/badges/1",
                name="Benchmark Badge",
                description="Awarded for {speed} & care.",
                image="https://badges.example.org/public/badges/1/image",
                criteria_narrative="Be fast.",
                criteria_url="https://academy.example.org/criteria",
                tags=("speed", "care"),
                alignment=({"targetName": "Speed", "targetUrl": "https://example.org/s"},),
            ),
            recipient_email="learner@example.org",
            salt="0123456789abcdef",
            valid_from=datetime(2026, 12, 1, tzinfo=UTC),
            narrative="Fastest of the year.",
            evidence=({"url": "https://example.org/proof", "name": "Proof"},),
            status=ob3.StatusEntry("https://badges.example.org/public/issuers/1/status/0", 42),
        )
    )


def sign_times(calls: int) -> list[float]:
    """Milliseconds of each canonicalise-and-sign of one credential (after a warm-up)."""
    contexts = load_contexts(SCHEMAS_DIR / "contexts")
    key = Ed25519PrivateKey.generate()
    options = dataintegrity.ProofOptions(
        verification_method=verification_method(DID, public_key_multibase(key.public_key())),
        created=datetime.now(UTC),
    )
    document = credential()
    for _ in range(5):
        dataintegrity.sign(document, key, options, contexts)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        dataintegrity.sign(document, key, options, contexts)
        times.append((time.perf_counter() - start) * 1000)
    return times


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--signs", type=int, default=200, help="credentials signed")
    parser.add_argument("--rounds", type=int, default=3, help="hosted/credential pairs measured")
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads / load processes")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Time signing in-process, then load one server with both GETs alternately."""
    args = parse_args(argv)
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and shutil.which("wrk") is not None)
    times = sign_times(args.signs)
    sign_median = statistics.median(times)
    sign_p95 = statistics.quantiles(times, n=20)[-1]
    print(
        f"canonicalise + sign one credential ({args.signs} times): median {sign_median:.1f} ms, "
        f"p95 {sign_p95:.1f} ms (target median < {SIGN_TARGET_MS:.0f} ms)"
    )
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-credentials-") as tmp_name:
        tmp = Path(tmp_name)
        env = {
            **os.environ,
            "ISSUER_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "ISSUER_DATA_DIR": str(tmp / "data"),
            "ISSUER_KEYS_DIR": str(tmp / "keys"),
            "ISSUER_BASE_URL": base_url,
            "ISSUER_SECRET_KEY": "bench-secret-key",
        }
        try:
            token = init_instance(env)
            with gunicorn(REAL_APP, port, env, tmp / "gunicorn.log", probe="/"):
                hosted = create_award(port, token, base_url).path
                made = hosted + "/credential.json"
                first: list[float] = []
                others = [create_award(port, token, base_url).path for _ in range(9)]
                for award in [hosted, *others]:
                    begun = time.perf_counter()
                    status, _, _ = request(port, "GET", award + "/credential.json")
                    first.append((time.perf_counter() - begun) * 1000)
                    if status != 200:
                        raise RuntimeError(f"GET {award}/credential.json answered {status}")
                print(
                    f"first GET of credential.json over HTTP (makes, checks, stores it): "
                    f"median {statistics.median(first):.1f} ms of {len(first)}"
                )

                def load(path: str, seconds: int) -> LoadResult:
                    if use_wrk:
                        url = base_url + path
                        return run_wrk(url, seconds, args.threads, args.connections)
                    return run_python(port, [path], seconds, args.threads, args.connections)

                runs: dict[str, list[LoadResult]] = {"hosted": [], "credential": []}
                for number in range(1, args.rounds + 1):
                    for name, path in (("hosted", hosted), ("credential", made)):
                        load(path, 2)
                        result = load(path, args.duration)
                        runs[name].append(result)
                        print(
                            f"  round {number} {name:10}: {result.rps:9.1f} req/s "
                            f"(non-2xx {result.non_2xx}, socket errors {result.errors})"
                        )
            os.environ.update({k: v for k, v in env.items() if k.startswith("ISSUER_")})
            from issuer import create_app

            app = create_app()
            in_process = {
                name: wsgi_cost(app, path, 3000)
                for name, path in (("hosted", hosted), ("credential", made))
            }
        except (RuntimeError, subprocess.SubprocessError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            print("FAIL: benchmark could not run")
            return 1
    hosted_rps = statistics.median(r.rps for r in runs["hosted"])
    credential_rps = statistics.median(r.rps for r in runs["credential"])
    ratio = credential_rps / hosted_rps
    failures = sum(r.non_2xx + r.errors for rs in runs.values() for r in rs)
    loader = "wrk" if use_wrk else "python http.client"
    print(f"load: {loader}, gunicorn -w 2 (sync), {os.cpu_count()} CPUs")
    print(f"hosted assertion GET (median of {args.rounds}): {hosted_rps:9.1f} req/s")
    print(f"credential.json GET  (median of {args.rounds}): {credential_rps:9.1f} req/s")
    print(f"ratio = credential/hosted = {ratio:.3f} (target >= {GET_TARGET_RATIO})")
    print(
        f"in-process CPU per request: hosted {in_process['hosted']:.0f} us, "
        f"credential {in_process['credential']:.0f} us"
    )
    passed = sign_median < SIGN_TARGET_MS and ratio >= GET_TARGET_RATIO and failures == 0
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
