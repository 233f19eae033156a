"""Fuzz every operation of /api/v1/openapi.json on a live server, with an admin token and without.

schemathesis generates requests from the OpenAPI document (valid ones and invalid ones) and
sends them over HTTP to the app served on a loopback port. No response may be a 5xx, and every
response must conform to the document: a documented status code, the documented content type,
and a body that fits the documented schema.

- Each operation and identity is a test of its own: ``test_api[POST /badges][admin]``. A failure
  names the check, shows the request as a curl command (the token shows as ``[Filtered]``: any
  admin token reproduces it) and, for a 500, the traceback the server logged.
- Reproducible: Hypothesis is derandomized, with a fixed seed and a fixed number of examples per
  operation and identity (``MAX_EXAMPLES``). ``ISSUER_FUZZ_EXAMPLES=N`` asks for more, and
  ``ISSUER_FUZZ_COVERAGE=1`` adds schemathesis's coverage phase (boundary values of every
  parameter and field; it is built when the tests are collected, which alone takes about half a
  minute, so it is off by default).
- Deep paths: the module serves one app, and creates an issuer, badges, an award and courses
  through its API first; hooks send those real ids in about half of the requests (path
  parameters, ids inside bodies, a real image, a valid CSV file, the award's URL and JWS for
  /verify), so generated data reaches awarding, listing awards, revoking and completing stages,
  not only the 404 of a random UUID. PATCH requests get a badge and a course of their own. The
  objects and whatever the requests create stay for the whole module (one server for all
  tests): a failure of a listing may come from data an earlier operation stored.
- Hostile values: in a quarter, one value (anywhere in the path, query or body) is replaced by
  one that generators rarely make: NUL and control characters, unpaired surrogates, dates before
  1970 or before year 1000, numbers beyond 32 or 64 bits or of 4,001 digits, JSON nested 100
  deep; or the CSV file by one with such cells. ``test_raw_bodies`` sends, once each, raw bodies
  no generator makes (10,000 levels of nesting, 5,000 digits, NaN, an escaped NUL and surrogate,
  duplicate keys, not UTF-8, over the request limit) and those CSV files to every operation
  that takes a body.
- The app differs from production only as every test app does (``tests.support.build_app``:
  rate limits off, e-mail not sent) and in its request limit (``REQUEST_LIMIT``, 64 KiB), so that
  a 413 is reached as well.
- schemathesis makes one test per operation when it collects, so the document is built then from
  the same code and schemas as the app's; the server fixture checks that the live server serves
  exactly that document.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import tempfile
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from issuer.api.openapi import build_openapi
from issuer.config import SCHEMAS_DIR
from issuer.openbadges.schemas import SchemaRegistry
from issuer.services.keystore import MemoryKeyStore
from tests.conftest import empty_tables
from tests.support import ApiClient, build_app, data_uri, make_token, png_bytes

# Fixed, so that every run sends the very same requests (with derandomized Hypothesis).
SEED = 20_260_101
# Requests generated per operation and identity (fuzzing phase).
MAX_EXAMPLES = int(os.environ.get("ISSUER_FUZZ_EXAMPLES", "50"))
COVERAGE_PHASE = os.environ.get("ISSUER_FUZZ_COVERAGE") == "1"
# ISSUER_MAX_REQUEST_BYTES of the fuzzed app: small, so that one hostile body gets the 413 that
# every operation with a body must document; every other request stays below it.
REQUEST_LIMIT = 64 * 1024
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Hypothesis and schemathesis cache the constants of the app's source under `.hypothesis/`, by
# default in the working directory; a `.hypothesis` folder in the work tree fails collection
# (pyproject's norecursedirs replaces pytest's default ignores, and warnings are errors).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "openbadges-issuer-hypothesis")

# schemathesis has no serializer for CSV files: without one it would never send them.
schemathesis.serializer.alias("text/csv", "text/plain")

DOCUMENT = build_openapi(SchemaRegistry(SCHEMAS_DIR), server="/api/v1/openapi.json")
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "request-timeout": 60,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # Without a token means without one: no made-up Authorization header either.
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": COVERAGE_PHASE},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    ),
)


class ServerLog(logging.Handler):
    """Collects the app's error log lines (with tracebacks), to show them with a failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(record.exc_info[1]))
        with self.guard:
            self.records.append(text)

    def take(self) -> list[str]:
        """The lines logged since the last call."""
        with self.guard:
            taken, self.records = self.records, []
        return taken


@dataclass(frozen=True)
class FuzzServer:
    """The served app, an admin's token, and the real objects to aim at."""

    url: str
    token: str
    ids: dict[str, str]
    patch_ids: dict[str, str]
    body_values: dict[str, Any]
    csv: str
    verify_bodies: list[dict[str, str]]
    log: ServerLog


@dataclass(frozen=True)
class FuzzTarget:
    """The server and the headers of one identity."""

    server: FuzzServer
    headers: dict[str, str]


# The server of the running test, for the hooks (which schemathesis calls without fixtures).
_current: list[FuzzServer] = []


def _server() -> FuzzServer:
    assert _current, "the fuzz_server fixture is not active"
    return _current[-1]


def _operation_id(context: HookContext) -> str | None:
    if context.operation is None:
        return None
    value = context.operation.definition.raw.get("operationId")
    return value if isinstance(value, str) else None


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# Values known to break parsers, databases and date arithmetic. The generators rarely make them
# by chance, so the hooks put one of them in place of one generated value in about a third of
# the requests (Hypothesis picks which value and where, reproducibly).
HOSTILE_TEXT = [
    "nul \x00 byte",
    "bell \x07 escape \x1b delete \x7f",
    "1969-12-31T23:59:59Z",
    "1900-01-01T00:00:00+00:00",
    "0999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-23:59",
]
# Only in JSON bodies: a URL or a header cannot carry them.
HOSTILE_JSON_ONLY = ["lone \ud800 surrogate", "\udfff", _nested(100)]
# Beyond 32 and 64 bits, 64 bits once multiplied (an offset), 4,001 digits (below Python's
# 4,300-digit limit for int to text, so that the client can still send it).
HOSTILE_NUMBERS = [2**31, 10**18, 2**63, -(2**63) - 1, 10**30, 10**4000]
# Whole JSON bodies that no generator makes, sent as they are by ``test_raw_bodies`` to every
# operation with a body (the largest one is above ``REQUEST_LIMIT``: a 413).
HOSTILE_RAW_JSON = [
    b"[" * 10_000 + b"]" * 10_000,
    b'{"name": "' + b"x" * (REQUEST_LIMIT + 1) + b'"}',
    b'{"name": 1' + b"0" * 5_000 + b"}",
    b'{"name": NaN, "description": Infinity, "url": 1e999}',
    b'{"name": "\\ud800", "reason": "\\u0000"}',
    b'{"name": "a", "name": "b"}',
    b"\xff\xfe{}",
]
# CSV files for POST /badges/{badge_id}/awards: the fuzzer sends them (with valid ones), and so
# does ``test_raw_bodies``.
HOSTILE_CSV = [
    "email,issued_on\nada@fuzz.example,1969-12-31\n",
    "email,issued_on,expires\nada@fuzz.example,0001-01-01,0002-01-01\n",
    "email,name\nada@fuzz.example,nul \x00 name\n",
    "email,narrative\nada@fuzz.example,bell \x07 \x1b\n",
]


def _either(generated: Any, *real: Any) -> st.SearchStrategy[Any]:
    """The generated value or one of the others (Hypothesis shrinks towards the generated)."""
    choices = [generated, *(value for value in real if value != generated)]
    return st.sampled_from(choices) if len(choices) > 1 else st.just(generated)


def _substituted(value: Any, replacements: dict[str, Any]) -> Any:
    """Replace the strings under the given keys (at any depth) with real values."""
    if isinstance(value, dict):
        return {
            key: replacements[key]
            if key in replacements and isinstance(item, str)
            else _substituted(item, replacements)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_substituted(item, replacements) for item in value]
    return value


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where a value sits in a JSON document: every member and item, at any depth."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def _hostile(document: Any, values: list[Any]) -> st.SearchStrategy[Any] | None:
    """The document with one member or item replaced by one of the values."""
    paths = list(_paths(document))
    if not paths:
        return None
    return st.tuples(st.sampled_from(paths), st.sampled_from(values)).map(
        lambda choice: _replaced(document, *choice)
    )


def _mix(
    generated: Any, real: Any, hostile: st.SearchStrategy[Any] | None
) -> st.SearchStrategy[Any]:
    """A quarter of the time the generated value, half the time the real one (the generated
    one instead when there is none), and a quarter of the time a hostile one."""
    options: list[st.SearchStrategy[Any]] = [st.just(generated), st.just(real), st.just(real)]
    if hostile is not None:
        options.append(hostile)
    return st.sampled_from(options).flatmap(lambda strategy: strategy)


def _with_hostile(generated: Any, real: Any, values: list[Any]) -> st.SearchStrategy[Any]:
    """Mix the generated and the real value with hostile ones: one of the values in place of
    any member of the real one."""
    return _mix(generated, real, _hostile(real, values))


@schema.hook("flatmap_path_parameters")
def _real_path_ids(context: HookContext, path_parameters: Any) -> st.SearchStrategy[Any]:
    """The ids of real objects, or odd text in one of them."""
    server = _server()
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    ids = server.ids
    if _operation_id(context) in ("updateBadge", "updateCourse"):
        ids = {**ids, **server.patch_ids}
    real = {name: ids.get(name, value) for name, value in path_parameters.items()}
    return _with_hostile(path_parameters, real, HOSTILE_TEXT)


@schema.hook("flatmap_query")
def _hostile_query(context: HookContext, query: Any) -> st.SearchStrategy[Any]:
    """The generated query, or one of its parameters replaced by a huge number or odd text."""
    if not isinstance(query, dict):
        return st.just(query)
    return _with_hostile(query, query, HOSTILE_NUMBERS + HOSTILE_TEXT)


@schema.hook("flatmap_body")
def _real_body_values(context: HookContext, body: Any) -> st.SearchStrategy[Any]:
    """Real ids and a real image, a valid CSV file, a real award; or one hostile value."""
    server = _server()
    operation_id = _operation_id(context)
    if operation_id == "verify" and isinstance(body, dict):
        return _either(body, *server.verify_bodies)
    if operation_id == "awardBadge" and isinstance(body, str):
        return _mix(body, server.csv, st.sampled_from(HOSTILE_CSV))
    real = _substituted(body, server.body_values)
    return _with_hostile(body, real, HOSTILE_TEXT + HOSTILE_JSON_ONLY + HOSTILE_NUMBERS)


@pytest.fixture(scope="module")
def fuzz_server(
    migrated: str, keystore: MemoryKeyStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzServer]:
    """One app served on a loopback port for the module, with real objects made through its API.

    Module-scoped (unlike ``live``): a server per test would cost more than the fuzzing itself.
    The tables are emptied afterwards, as for every other test."""
    holder: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    url = f"http://127.0.0.1:{server.server_port}"
    app = build_app(
        migrated,
        keystore,
        tmp_path_factory.mktemp("fuzz"),
        BASE_URL=url,
        OUTBOX_DELIVERY="off",
        MAX_CONTENT_LENGTH=REQUEST_LIMIT,
    )
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log = ServerLog()
    loggers = [logging.getLogger("issuer"), logging.getLogger("werkzeug")]
    for logger in loggers:
        logger.addHandler(log)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        connection.request("GET", "/api/v1/openapi.json")
        served = json.load(connection.getresponse())
        connection.close()
        assert served == DOCUMENT, "the live server serves another OpenAPI document"
        token = make_token(app, "fuzz-admin@example.org", admin=True)
        fuzz_server = _make_objects(app.test_client(), url, token, log)
        _current.append(fuzz_server)
        yield fuzz_server
    finally:
        _current.clear()
        for logger in loggers:
            logger.removeHandler(log)
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        empty_tables(app)


def _make_objects(client: Any, url: str, token: str, log: ServerLog) -> FuzzServer:
    api = ApiClient(client, token)
    png = data_uri(png_bytes(16, 16))

    def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = api.post(path, body)
        assert response.status_code in (200, 201), (path, response.json)
        return dict(response.json or {})

    issuer = created(
        "/issuers", {"name": "Fuzz", "url": "https://fuzz.example", "email": "f@fuzz.example"}
    )
    badge_body = {
        "issuer": issuer["id"],
        "description": "Fuzzed.",
        "image": png,
        "criteria": {"narrative": "Be fuzzed."},
    }
    badge = created("/badges", {**badge_body, "name": "Fuzz badge"})
    patch_badge = created("/badges", {**badge_body, "name": "Fuzz badge to change"})
    awarded = created(f"/badges/{badge['id']}/awards", {"recipients": ["ada@fuzz.example"]})
    assertion = awarded["awards"][0]
    stages = [{"name": "One", "badge": badge["id"]}, {"name": "Two"}]
    course = created("/courses", {"name": "Fuzz course", "stages": stages})
    patch_course = created("/courses", {"name": "Fuzz course to change", "stages": stages})
    log.take()
    return FuzzServer(
        url=url,
        token=token,
        ids={
            "issuer_id": issuer["id"],
            "badge_id": badge["id"],
            "assertion_id": assertion["id"],
            "course_id": course["id"],
            "stage_id": course["stages"][0]["id"],
        },
        patch_ids={"badge_id": patch_badge["id"], "course_id": patch_course["id"]},
        body_values={
            "issuer": issuer["id"],
            "badge": badge["id"],
            "completion_badge": badge["id"],
            "image": png,
            "id": patch_course["stages"][0]["id"],
        },
        csv="email,name,narrative\nada@fuzz.example,Ada,Again\ngrace@fuzz.example,Grace,New\n",
        verify_bodies=[{"url": assertion["openBadgeId"]}, {"jws": assertion["signed"]}],
        log=log,
    )


@pytest.fixture
def fuzz_target(fuzz_server: FuzzServer, identity: str) -> FuzzTarget:
    """The server, called with an admin's token or without any token."""
    if identity == "admin":
        return FuzzTarget(fuzz_server, {"Authorization": f"Bearer {fuzz_server.token}"})
    return FuzzTarget(fuzz_server, {})


@pytest.mark.parametrize("identity", ["admin", "anonymous"])
@schema.parametrize()
# The server and its objects are made once, not per generated request, on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case: Case[Any], fuzz_target: FuzzTarget) -> None:
    log = fuzz_target.server.log
    log.take()
    try:
        case.call_and_validate(
            base_url=f"{fuzz_target.server.url}/api/v1",
            headers=fuzz_target.headers,
            checks=CHECKS,
        )
    except BaseException as error:  # schemathesis raises a FailureGroup (BaseExceptionGroup)
        for record in log.take():
            error.add_note(f"Server log:\n{record}")
        raise


BODY_OPERATIONS = [
    (path, method)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method != "parameters" and "requestBody" in operation
]


@pytest.mark.parametrize(
    ("path", "method"),
    BODY_OPERATIONS,
    ids=[f"{method.upper()} {path}" for path, method in BODY_OPERATIONS],
)
def test_raw_bodies(fuzz_server: FuzzServer, path: str, method: str) -> None:
    """Every hostile raw body (and CSV file) to every operation with a body, as an admin (or
    without a token where none is needed): no 5xx, and answers as documented."""
    operation = schema[path][method.upper()]
    needs_token = operation.definition.raw.get("security") != []
    headers = {"Authorization": f"Bearer {fuzz_server.token}"} if needs_token else {}
    ids = fuzz_server.ids
    if operation.definition.raw.get("operationId") in ("updateBadge", "updateCourse"):
        ids = {**ids, **fuzz_server.patch_ids}
    parameters = {name: ids[name] for name in ids if "{" + name + "}" in path}
    bodies: list[tuple[str, bytes]] = [("application/json", raw) for raw in HOSTILE_RAW_JSON]
    content = DOCUMENT["paths"][path][method]["requestBody"]["content"]
    if "text/csv" in content:
        bodies += [("text/csv", csv.encode("utf-8")) for csv in HOSTILE_CSV]
    failures = []
    for media_type, body in bodies:
        case = operation.Case(path_parameters=parameters, body=body, media_type=media_type)
        fuzz_server.log.take()
        try:
            case.call_and_validate(
                base_url=f"{fuzz_server.url}/api/v1", headers=headers, checks=CHECKS
            )
        except BaseException as error:  # schemathesis raises a FailureGroup (BaseExceptionGroup)
            # The curl line repeats the whole body: the start says enough.
            report = "".join(traceback.format_exception_only(error))[:3000]
            report += "".join(f"Server log:\n{record}" for record in fuzz_server.log.take())
            failures.append(f"{media_type} body {body[:60]!r}... ({len(body):,} bytes):\n{report}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
