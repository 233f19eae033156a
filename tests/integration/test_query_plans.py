"""Every statement of the hot requests reads the big tables through an index, never by a scan.

Thousands of awards and learners are loaded in bulk with no ANALYZE after it (a busy server's
statistics are as stale as that), then each request runs while its statements are recorded,
and each statement is explained with its own parameters. A full scan of ``assertions`` or
``users`` is a cost that grows with the data, so it fails the test.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from issuer.extensions import db
from issuer.models import Assertion, User
from issuer.models.types import utcnow
from issuer.openbadges import signing
from tests.support import BASE_URL, ApiClient, log_in, recorded_statements

LOADED = 5_000
RECIPIENT_FILTER = re.compile(r"WHERE .*assertions\.recipient_id (=|IN\b)", re.S)
RECIPIENT_INDEXES = {
    "ix_assertions_badge_recipient",
    "uq_assertions_current",
    "ix_assertions_recipient_id",
}
BIG_TABLES = {"assertions", "users"}
READER = ("reader@plans.example", "reader-password")  # throwaway test accounts
ADMIN = ("admin@plans.example", "admin-password")


@contextmanager
def recorded(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """The single statements (and their parameters) the app runs meanwhile."""
    with app.app_context():
        engine = db.engine
    with recorded_statements(engine) as seen:
        statements: list[tuple[str, Any]] = []
        yield statements
    statements += [
        (statement, parameters)
        for statement, parameters, many in seen
        if not many and re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT|WITH)\b", statement, re.I)
    ]


@dataclass
class Plan:
    """What a statement's plan reads: big tables from end to end, and the indexes it uses."""

    scans: list[str]
    indexes: set[str]


def explain(app: Flask, statement: str, parameters: Any) -> Plan:
    """The plan the database would run a statement with."""
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if db.engine.dialect.name == "postgresql":
                # At a test's few thousand rows a scan and a sort is the cheaper plan; with
                # scans priced out, a scan that remains means no index can serve the query.
                # (At a million rows the planner picks the index by itself: bench_scale.py.)
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                row = cursor.fetchone()
                assert row is not None
                plan = json.loads(row[0]) if isinstance(row[0], str) else row[0]
                nodes = list(_nodes(plan[0]["Plan"]))
                return Plan(
                    scans=[
                        node["Relation Name"]
                        for node in nodes
                        if node["Node Type"] == "Seq Scan"
                        and node.get("Relation Name") in BIG_TABLES
                    ],
                    indexes={node["Index Name"] for node in nodes if "Index Name" in node},
                )
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            details = [detail for *_, detail in cursor.fetchall()]
            return Plan(
                scans=[
                    match.group(1)
                    for detail in details
                    if (match := re.fullmatch(r"SCAN (\w+)(?: AS \w+)?", detail))
                    and match.group(1) in BIG_TABLES
                ],
                indexes={
                    match.group(1)
                    for detail in details
                    if (match := re.search(r"USING (?:COVERING )?INDEX (\w+)", detail))
                },
            )
        finally:
            raw.rollback()
            raw.close()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.fixture
def loaded(
    app: Flask,
    api: ApiClient,
    make_badge: Callable[..., dict[str, Any]],
    award: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Two badges with LOADED awards between them (one in a hundred revoked), loaded in bulk."""
    first = make_badge(name="Loaded")
    badges = [first, make_badge(name="Quiet", post_to_feed=False, issuer=first["issuer"])]
    now = utcnow()
    users, awards = [], []
    for number in range(LOADED):
        email = f"load{number}@plans.example"
        user_id = uuid.uuid4()
        users.append({"id": user_id, "email": email, "name": f"Learner {number}"})
        revoked = number % 100 == 0
        awards.append(
            {
                "id": uuid.uuid4(),
                "badge_id": uuid.UUID(badges[number % 2]["id"]),
                "recipient_id": user_id,
                "recipient_email": email,
                "salt": hashlib.sha256(email.encode()).hexdigest()[:32],
                "issued_on": now,
                "revoked": revoked,
                "revocation_reason": "Loaded revoked." if revoked else None,
                "revoked_at": now if revoked else None,
            }
        )
    with app.app_context():
        db.session.execute(insert(User), users)
        db.session.execute(insert(Assertion), awards)
        db.session.commit()
    for (email, password), extra in ((READER, []), (ADMIN, ["--admin"])):
        created = app.test_cli_runner().invoke(
            args=["users", "create", email, "--name", "Plans", "--password", password, *extra]
        )
        assert created.exit_code == 0, created.output
    given = award(badges[0]["id"], READER[0], "other@plans.example")["awards"]
    return {"badges": badges, "awards": given, "issuer": first["issuer"]}


def test_hot_requests_read_big_tables_through_indexes(
    app: Flask, api: ApiClient, client: FlaskClient, loaded: dict[str, Any]
) -> None:
    badge = loaded["badges"][0]["id"]
    mine, other = (award["id"] for award in loaded["awards"])
    credential = client.get(f"/public/assertions/{other}/credential")
    assert credential.status_code == 200
    status_list = signing.read_unverified(credential.get_data(as_text=True)).payload[
        "credentialStatus"
    ]["statusListCredential"]
    assert api.post(f"/assertions/{other}/revoke", {"reason": "Plan."}).status_code == 200
    log_in(client, *READER)
    reader = client.get("/feed").get_data(as_text=True)
    assert "Loaded" in reader
    admin = app.test_client()
    log_in(admin, *ADMIN)
    reader_id = (api.get(f"/users?email={READER[0]}").json or {})["users"][0]["id"]
    course = api.post("/courses", {"name": "Plans", "stages": [{"name": "One", "badge": badge}]})
    assert course.status_code == 201, course.json
    stage = "/courses/{id}/stages/{stage}/completions".format(
        id=(course.json or {})["id"], stage=(course.json or {})["stages"][0]["id"]
    )

    requests: dict[str, Callable[[], Any]] = {
        "badge list": lambda: api.get("/badges"),
        "one badge": lambda: api.get(f"/badges/{badge}"),
        "award list page": lambda: api.get(f"/badges/{badge}/awards?page=3"),
        "user list": lambda: api.get("/users?page=2"),
        "user by address": lambda: api.get("/users?email=load7@plans.example"),
        "award to three": lambda: api.post(
            f"/badges/{badge}/awards",
            {"recipients": ["load3@plans.example", "new@plans.example", READER[0]]},
        ),
        # The reader holds the stage's badge already: the completion looks their award up.
        "one completion": lambda: api.post(stage, {"user": READER[0]}),
        "batch completion": lambda: api.post(
            stage, {"users": ["load5@plans.example", "load6@plans.example", "new@plans.example"]}
        ),
        "feed": lambda: client.get("/feed"),
        "home page": lambda: client.get("/"),
        "catalogue": lambda: client.get("/badges"),
        "own profile": lambda: client.get(f"/users/{reader_id}"),
        "hosted award": lambda: client.get(f"/public/assertions/{mine}"),
        "signed award": lambda: client.get(f"/public/assertions/{mine}/signed"),
        "revocation list": lambda: client.get(f"/public/issuers/{loaded['issuer']}/revocations"),
        "status list": lambda: client.get(status_list.removeprefix(BASE_URL)),
        "studio badges": lambda: admin.get("/studio/badges"),
        "studio people": lambda: admin.get("/studio/users"),
        "studio award form": lambda: admin.get(f"/studio/users/{reader_id}/award"),
        "revoke": lambda: api.post(f"/assertions/{mine}/revoke", {"reason": "Plan."}),
    }
    # The lists that read a small part of the awards must read it through their own index
    # (any index would avoid a scan, but one on the badge would still read all its awards).
    expected = {
        "feed": {"ix_assertions_feed"},
        "home page": {"ix_assertions_feed"},
        "revocation list": {"ix_assertions_revoked"},
        "status list": {"ix_assertions_status_revoked", "ix_assertions_revoked"},
    }
    scans: dict[str, list[str]] = {}
    for name, send in requests.items():
        with recorded(app) as seen:
            response = send()
        assert response.status_code < 400, (name, response.status_code)
        # The hosted forms read their row by primary key on the raw DB-API cursor
        # (services/rows.py), which engine events do not see.
        assert seen or name in ("hosted award", "signed award"), name
        plans = [(statement, explain(app, statement, parameters)) for statement, parameters in seen]
        for statement, plan in plans:
            if plan.scans:
                scans.setdefault(name, []).append(f"{plan.scans} in {statement}")
        if name in expected:
            assert any(expected[name] & plan.indexes for _, plan in plans), (name, plans)
        # Awards looked up by recipient go through an index on the recipient: one on the badge
        # alone (chosen to save a sort, say) reads every award of the badge.
        for statement, plan in plans:
            if RECIPIENT_FILTER.search(statement):
                assert plan.indexes & RECIPIENT_INDEXES, (name, statement, plan)
    assert scans == {}, "\n".join(f"{name}: {found}" for name, found in scans.items())
