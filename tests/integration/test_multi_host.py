"""Two app servers on one PostgreSQL database act as one: awards, revocations, courses, e-mail.

Each host is a gunicorn of its own (two sync workers, so four processes with four sets of
in-memory caches) started exactly as README "Several hosts" describes: the same database,
secret key, keys folder and base URL, a data folder each, and e-mail delivery off in both,
beside two ``outbox work`` e-mail workers. The tests play the load balancer by sending each
request to one host or the other.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, make_url, select

from issuer.extensions import db
from issuer.models import Assertion, OutboxEmail, StageCompletion, User
from issuer.openbadges import ob2, ob3, signing, vcjwt
from issuer.services import outbox
from issuer.services.keystore import FileKeyStore
from tests.benchmarks.bench_hosted import (
    HOST,
    PROJECT,
    free_port,
    gunicorn,
    init_instance,
    request,
    tail,
)
from tests.support import (
    OFFICIAL_CREDENTIAL_SCHEMA,
    data_uri,
    make_token,
    png_bytes,
    post_json,
    race,
)
from tests.unit.test_mail import SlowMailbox, smtp_server

JSONLD = "application/ld+json"
ADMIN = "ops@example.org"
# Long enough per message that two delivering processes overlap at the mail server (so the
# test sees them race for the same outbox), short enough to keep the module quick.
SMTP_PAUSE = 0.05
WAIT_SECONDS = 20.0
# How often the e-mail workers look for new e-mail (5 s in production): the tests wait less.
POLL = "0.2"


def _test_database_is_postgresql() -> bool:
    """Whether the suite runs on PostgreSQL (the database_url fixture reads the same variable)."""
    url = os.environ.get("ISSUER_TEST_DATABASE_URL", "")
    return url.startswith(("postgresql:", "postgresql+"))


pytestmark = pytest.mark.skipif(
    not _test_database_is_postgresql(),
    reason="several hosts need one database server: set ISSUER_TEST_DATABASE_URL to a "
    "PostgreSQL database (a SQLite file cannot be shared by two hosts)",
)


@dataclass(frozen=True)
class Host:
    """One app host: a gunicorn on its own loopback port."""

    port: int

    @property
    def url(self) -> str:
        """The host's own origin (not the public base URL, which only host A's port matches)."""
        return f"http://{HOST}:{self.port}"

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        """GET a path as a verifier does (JSON-LD unless told), with no proxy in between."""
        return request(self.port, "GET", path, headers={"Accept": JSONLD, **headers})

    def post(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST JSON to an API path with a bearer token."""
        return post_json(f"{self.url}/api/v1{path}", token, body)


@dataclass(frozen=True)
class Cluster:
    """Both hosts, what they share, and the mail server they send through."""

    a: Host
    b: Host
    public_pem: str
    mailbox: SlowMailbox


@pytest.fixture(scope="module")
def cluster(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Run `init` once, then two gunicorn hosts on the test database; always stop them."""
    assert make_url(migrated).get_backend_name() == "postgresql", migrated
    tmp = tmp_path_factory.mktemp("multihost")
    with ExitStack() as stack:
        mailbox = SlowMailbox(pause=SMTP_PAUSE)
        _, smtp_port = stack.enter_context(smtp_server(mailbox))
        port_a = free_port()
        port_b = free_port()
        while port_b == port_a:  # both were free and closed again: the kernel may repeat one
            port_b = free_port()
        # Nothing of the developer's own ISSUER_* settings may leak into the hosts.
        base = {k: v for k, v in os.environ.items() if not k.startswith("ISSUER_")}
        shared = {
            **base,
            "ISSUER_DATABASE_URL": migrated,
            "ISSUER_SECRET_KEY": secrets.token_urlsafe(32),
            "ISSUER_KEYS_DIR": str(tmp / "keys"),
            # What the load balancer presents; every document id is built from it.
            "ISSUER_BASE_URL": f"http://{HOST}:{port_a}",
            "ISSUER_SMTP_URL": f"smtp://{HOST}:{smtp_port}",
            "ISSUER_OUTBOX_DELIVERY": "off",  # the e-mail workers send
            "ISSUER_RATELIMITS": "off",
        }
        if OFFICIAL_CREDENTIAL_SCHEMA.is_file():  # as every app of the suite checks credentials
            shared["ISSUER_OB3_SCHEMA"] = str(OFFICIAL_CREDENTIAL_SCHEMA)
        envs = {name: {**shared, "ISSUER_DATA_DIR": str(tmp / f"data-{name}")} for name in "ab"}
        # Once per deployment: the schema is current already; this makes the signing key.
        init_instance(envs["a"])
        for name, port in (("a", port_a), ("b", port_b)):
            stack.enter_context(gunicorn("wsgi:app", port, envs[name], tmp / f"{name}.log", "/"))
            stack.enter_context(email_worker(envs[name], tmp / f"{name}-outbox.log"))
        (key,) = FileKeyStore(tmp / "keys").list_keys()
        yield Cluster(
            Host(port_a),
            Host(port_b),
            key.public_pem,
            mailbox,
        )


@contextmanager
def email_worker(env: dict[str, str], log: Path) -> Iterator[None]:
    """Run ``outbox work`` as its systemd unit does; stop it with SIGTERM, as systemctl does."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--poll", POLL]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=out)
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.returncode != 0:
            raise RuntimeError(f"outbox work exited with {process.returncode}:\n{tail(log)}")


@pytest.fixture
def token(app: Flask) -> str:
    """An admin's API token (in the database both hosts read)."""
    return make_token(app, ADMIN, admin=True)


@pytest.fixture(autouse=True)
def mail_settled(app: Flask, cluster: Cluster) -> Iterator[None]:
    """After each test, let the workers send its e-mail, so that none spills into the next one."""
    yield
    wait_until(lambda: pending(app) == 0 and cluster.mailbox.in_flight == 0)


def wait_until(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> bool:
    """Poll a condition until it holds or the time is up; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def pending(app: Flask) -> int:
    """Queued e-mails not sent yet."""
    with app.app_context():
        return outbox.pending_count()


def count(app: Flask, model: Any, *where: Any) -> int:
    """Rows of a model matching the conditions."""
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def make_badge(host: Host, token: str) -> dict[str, Any]:
    """Create an issuer and a badge through a host's API."""
    status, issuer = host.post(
        "/issuers", token, {"name": "Academy", "url": "https://academy.example", "email": "a@a.ex"}
    )
    assert status == 201, issuer
    body = {
        "issuer": issuer["id"],
        "name": "Teamwork",
        "description": "Worked well with others.",
        "image": data_uri(png_bytes()),
        "criteria": {"narrative": "Finish a team project."},
    }
    status, badge = host.post("/badges", token, body)
    assert status == 201, badge
    return badge


def award(host: Host, token: str, badge_id: str, *recipients: str) -> dict[str, Any]:
    """Award a badge through a host; the first award."""
    status, body = host.post(f"/badges/{badge_id}/awards", token, {"recipients": [*recipients]})
    assert status == 201, body
    return dict(body["awards"][0])


def path(url: str) -> str:
    """The path of one of our public URLs, to ask either host for it."""
    return urlsplit(url).path


def verified(token: str, public_pem: str) -> dict[str, Any]:
    """A VC-JWT's credential, after checking it against the key both hosts share."""
    return vcjwt.verify_credential(token, public_pem)


def status_bit(host: Host, credential: dict[str, Any], public_pem: str) -> bool:
    """Whether a credential's revocation bit is set in its status list, as a host serves it."""
    entry = credential["credentialStatus"]
    status, _, body = host.get(path(entry["statusListCredential"]))
    assert status == 200, body
    listed = verified(body.decode("ascii"), public_pem)
    bits = ob3.decode_status_list(listed["credentialSubject"]["encodedList"])
    return ob3.is_position_set(bits, int(entry["statusListIndex"]))


def revoked_ids(host: Host, issuer_id: str) -> dict[str, str | None]:
    """The issuer's RevocationList as a host serves it: revoked ids and their reasons."""
    status, _, body = host.get(f"/public/issuers/{issuer_id}/revocations")
    assert status == 200, body
    entries = json.loads(body)["revokedAssertions"]
    placeholder = ob2.REVOCATION_PLACEHOLDER["id"]  # always there, so the list is never empty
    return {e["id"]: e.get("revocationReason") for e in entries if e["id"] != placeholder}


def test_an_award_made_through_one_host_is_served_by_the_other_at_once(
    cluster: Cluster, token: str
) -> None:
    """Awarded through A, the hosted, signed and OB 3.0 forms come from B straight away."""
    a, b = cluster.a, cluster.b
    badge = make_badge(a, token)
    made = award(a, token, badge["id"], "ada@example.org")
    hosted = path(made["openBadgeId"])

    status, headers, from_b = b.get(hosted)  # B never saw this award: nothing cached there
    assert status == 200, from_b
    assert headers["Content-Type"].startswith(JSONLD)
    document = json.loads(from_b)
    assert document["id"] == made["openBadgeId"]
    assert document["badge"] == badge["openBadgeId"]
    assert a.get(hosted)[2] == from_b

    status, _, signed = b.get(f"{hosted}/signed")
    assert status == 200, signed
    assert signed.decode("ascii") == made["signed"]  # signed by A when awarding
    assert signing.verify(made["signed"], cluster.public_pem)["id"] == f"urn:uuid:{made['id']}"

    status, _, credential = b.get(path(made["credential"]))
    assert status == 200, credential  # made and signed by B on this first request
    assert (
        verified(credential.decode("ascii"), cluster.public_pem)["id"] == f"urn:uuid:{made['id']}"
    )
    assert a.get(path(made["credential"]))[2] == credential  # stored once: A serves B's


def test_a_revocation_through_one_host_is_served_by_the_other_at_once(
    cluster: Cluster, token: str
) -> None:
    """Revoked through B, every form of the award is withdrawn on A, whose caches were warm."""
    a, b = cluster.a, cluster.b
    badge = make_badge(a, token)
    made = award(a, token, badge["id"], "ada@example.org")
    hosted = path(made["openBadgeId"])
    # Warm every cache of A that could keep serving the award: hosted document, signed form,
    # credential, status list and revocation list, each read twice (the worker may differ).
    for _ in range(2):
        status, headers, _ = a.get(hosted)
        assert status == 200
        assert a.get(f"{hosted}/signed")[0] == 200
        status, _, jwt = a.get(path(made["credential"]))
        assert status == 200
        credential = verified(jwt.decode("ascii"), cluster.public_pem)
        assert not status_bit(a, credential, cluster.public_pem)
        assert f"urn:uuid:{made['id']}" not in revoked_ids(a, badge["issuer"])

    status, body = b.post(f"/assertions/{made['id']}/revoke", token, {"reason": "Plagiarised"})
    assert status == 200, body
    assert body["revoked"] is True

    status, _, gone = a.get(hosted)
    assert status == 410, gone
    assert json.loads(gone) == {
        "@context": "https://w3id.org/openbadges/v2",
        "id": made["openBadgeId"],
        "type": "Assertion",
        "revoked": True,
        "revocationReason": "Plagiarised",
    }
    # A verifier revalidating its copy must learn of the revocation, not get 304.
    assert a.get(hosted, **{"If-None-Match": headers["ETag"]})[0] == 410
    assert a.get(f"{hosted}/signed")[0] == 410
    assert a.get(path(made["credential"]))[0] == 410
    assert status_bit(a, credential, cluster.public_pem)
    assert revoked_ids(a, badge["issuer"]) == {f"urn:uuid:{made['id']}": "Plagiarised"}


def test_parallel_completions_on_both_hosts_award_once(
    app: Flask, cluster: Cluster, token: str
) -> None:
    """Eight simultaneous reports of one completion, four to each host, make one award."""
    a, b = cluster.a, cluster.b
    badge = make_badge(a, token)
    status, course = a.post(
        "/courses",
        token,
        {"name": "Race", "stages": [{"name": "One", "badge": badge["id"]}, {"name": "Two"}]},
    )
    assert status == 201, course
    stage = f"/courses/{course['id']}/stages/{course['stages'][0]['id']}/completions"
    report = {"user": "ada@example.org"}

    answers = race([partial(host.post, stage, token, report) for host in (a, b) * 4])

    assert all(200 <= status < 300 for status, _ in answers), answers
    assert sorted(status for status, _ in answers) == [200] * 7 + [201], answers
    assert len({body["award"]["id"] for _, body in answers}) == 1
    badge_id = uuid.UUID(badge["id"])
    assert count(app, Assertion, Assertion.badge_id == badge_id) == 1
    assert count(app, Assertion, Assertion.recipient_email == "ada@example.org") == 1
    assert count(app, StageCompletion) == 1
    assert count(app, User, User.email == "ada@example.org") == 1


def test_each_email_is_sent_once_while_both_workers_deliver(
    app: Flask, cluster: Cluster, token: str
) -> None:
    """Awards to 40 people through both hosts at once: each gets exactly one e-mail."""
    a, b = cluster.a, cluster.b
    mailbox = cluster.mailbox
    badge = make_badge(a, token)
    assert wait_until(lambda: pending(app) == 0 and mailbox.in_flight == 0)
    mailbox.most_in_flight = 0
    recipients = [f"learner{n:02d}@example.org" for n in range(40)]
    calls: list[Callable[[], tuple[int, dict[str, Any]]]] = [
        partial(host.post, f"/badges/{badge['id']}/awards", token, {"recipients": chunk})
        for host, chunk in zip((a, b, a, b), (recipients[n::4] for n in range(4)), strict=True)
    ]
    answers = race(calls)

    assert [status for status, _ in answers] == [201] * 4, answers
    assert sum(body["created"] for _, body in answers) == 40
    assert wait_until(lambda: pending(app) == 0), f"{pending(app)} e-mails still queued"
    # Nothing sent twice may still be on its way: wait for the mail server to be idle.
    assert wait_until(lambda: mailbox.in_flight == 0)
    time.sleep(0.3)
    ours = [m for m in mailbox.messages if m["To"] in recipients]
    assert Counter(str(m["To"]) for m in ours) == Counter(recipients)
    assert len({m["Message-ID"] for m in ours}) == 40
    assert count(app, OutboxEmail, OutboxEmail.sent_at.is_(None)) == 0
    assert count(app, OutboxEmail, OutboxEmail.attempts > 0) == 0  # nothing failed on the way
    # Two processes were sending at the same moment: the workers really raced for the outbox.
    assert mailbox.most_in_flight >= 2
