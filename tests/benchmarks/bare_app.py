"""Baseline for bench_hosted: a bare Flask app serving a fixed JSON-LD body from memory.

Run as ``gunicorn tests.benchmarks.bare_app:app`` with BENCH_BODY_FILE (the body's bytes) and
BENCH_HEADERS_FILE (a JSON object of the response headers to repeat) in the environment.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from flask import Flask, Response

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()
HEADERS: dict[str, str] = json.loads(Path(os.environ["BENCH_HEADERS_FILE"]).read_text())

app = Flask(__name__)


@app.get("/public/assertions/<uuid:assertion_id>")
def get_assertion(assertion_id: uuid.UUID) -> Response:
    """Return the stored body and headers, whatever the id."""
    return Response(BODY, status=200, headers=HEADERS)
