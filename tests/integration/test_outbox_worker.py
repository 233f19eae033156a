"""The e-mail worker, ``flask --app wsgi outbox work``: it sends what falls due, and stops on
SIGTERM or SIGINT after the e-mail it is sending.

Most tests run it as production does, a process of its own on the test database, sending to a
real SMTP server on loopback.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url

from issuer import delivery
from issuer.models.types import utcnow
from tests.integration.test_outbox import queue, rows
from tests.support import BASE_URL, wait_for
from tests.unit.test_mail import SlowMailbox, smtp_server

PROJECT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30.0


@pytest.fixture(autouse=True)
def no_background_delivery(app: Flask) -> Iterator[None]:
    """Only the worker under test sends; no thread of the test's own app does."""
    app.config["OUTBOX_DELIVERY"] = "off"
    yield
    delivery.stop_all()


@pytest.fixture
def worker_env(migrated: str, tmp_path: Path) -> Callable[[int], dict[str, str]]:
    """The environment of a worker process on the test database, for an SMTP port."""
    # Nothing of the developer's own ISSUER_* settings may leak into the worker.
    base = {k: v for k, v in os.environ.items() if not k.startswith("ISSUER_")}

    def env(smtp_port: int) -> dict[str, str]:
        return {
            **base,
            "ISSUER_DATABASE_URL": migrated,
            "ISSUER_SECRET_KEY": secrets.token_urlsafe(32),
            "ISSUER_DATA_DIR": str(tmp_path / "worker"),
            "ISSUER_KEYS_DIR": str(tmp_path / "keys"),
            "ISSUER_BASE_URL": BASE_URL,
            "ISSUER_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        }

    return env


@pytest.fixture
def start_worker() -> Iterator[Callable[[dict[str, str]], subprocess.Popen[str]]]:
    """Start ``outbox work`` processes; any still running at the end is killed."""
    started: list[subprocess.Popen[str]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", "--poll", "0.2"],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        # Its first line says it is up and looking for e-mail.
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("outbox worker: sending due e-mail"), first
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(process: subprocess.Popen[str]) -> str:
    """Send SIGTERM, wait for the process to end, and return the rest of its output."""
    process.send_signal(signal.SIGTERM)
    return finish(process)


def finish(process: subprocess.Popen[str]) -> str:
    """Wait for a process told to stop to end; the rest of its output."""
    try:
        output, _ = process.communicate(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"the worker did not stop: {output}")
    return output


def sent_counts(output: str) -> int:
    """How many e-mails a worker says it sent, over all its rounds."""
    return sum(int(n) for n in re.findall(r"^sent (\d+), failed \d+, waiting \d+$", output, re.M))


def test_the_worker_sends_due_mail_and_exits_on_sigterm(
    app: Flask, worker_env: Callable[[int], dict[str, str]], start_worker: Any
) -> None:
    with smtp_server() as (mailbox, port):
        worker = start_worker(worker_env(port))
        queue(app, "ada@example.org", "grace@example.org")
        wait_for(lambda: len(mailbox.messages) == 2, "the first two e-mails")
        queue(app, "alan@example.org")  # it keeps looking
        wait_for(lambda: len(mailbox.messages) == 3, "the third e-mail")
        wait_for(lambda: all(row.sent_at for row in rows(app)), "the e-mails marked as sent")
        output = stop(worker)

    assert worker.returncode == 0, output
    assert sorted(str(m["To"]) for m in mailbox.messages) == [
        "ada@example.org",
        "alan@example.org",
        "grace@example.org",
    ]
    assert sent_counts(output) == 3, output
    assert output.endswith("outbox worker: stopped\n"), output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_on_a_signal_the_worker_finishes_the_email_it_is_sending(
    app: Flask, worker_env: Callable[[int], dict[str, str]], start_worker: Any, signum: int
) -> None:
    mailbox = SlowMailbox(held=True)
    queue(app, *(f"learner{n}@example.org" for n in range(5)))
    with smtp_server(mailbox) as (_, port):
        worker = start_worker(worker_env(port))
        assert mailbox.arrived.wait(WAIT_SECONDS), "no e-mail reached the mail server"
        worker.send_signal(signum)  # while the mail server holds the first e-mail
        time.sleep(1.0)  # generous: for the worker's handler to run
        mailbox.release.set()
        output = finish(worker)  # no second signal: that one would end it at once

    assert worker.returncode == 0, output
    (message,) = mailbox.messages
    sent = [row for row in rows(app) if row.sent_at is not None]
    assert [row.to_address for row in sent] == [message["To"]]  # recorded as sent
    unsent = [row for row in rows(app) if row.sent_at is None]
    assert len(unsent) == 4
    # Claimed, but handed back: due at once for the next sender, not a lease from now.
    assert all(row.attempts == 0 and row.next_attempt_at <= utcnow() for row in unsent)


def test_two_workers_never_send_the_same_email(
    app: Flask,
    migrated: str,
    worker_env: Callable[[int], dict[str, str]],
    start_worker: Any,
) -> None:
    if make_url(migrated).get_backend_name() != "postgresql":
        pytest.skip(
            "FOR UPDATE SKIP LOCKED is how PostgreSQL workers share the outbox; SQLite takes "
            "one writer at a time, and workers on several hosts need a database server anyway"
        )
    mailbox = SlowMailbox(held=True, pause=0.02)
    mailbox.release.set()
    recipients = [f"learner{n:02d}@example.org" for n in range(60)]
    with smtp_server(mailbox) as (_, port):
        first = start_worker(worker_env(port))
        second = start_worker(worker_env(port))
        queue(app, *recipients)  # both are polling: they race for these
        wait_for(lambda: len(mailbox.messages) >= len(recipients), "every e-mail")
        wait_for(lambda: all(row.sent_at for row in rows(app)), "the e-mails marked as sent")
        time.sleep(0.5)  # anything sent twice would be on its way by now
        outputs = [stop(first), stop(second)]

    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert Counter(str(m["To"]) for m in mailbox.messages) == Counter(recipients)
    counts = [sent_counts(output) for output in outputs]
    assert sum(counts) == len(recipients), outputs
    assert all(counts), f"one worker sent everything: {counts}"
    assert mailbox.most_in_flight >= 2  # they really sent at the same time


# In this process: the command's own code, and its signal handlers put back ---------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_outbox_work_command_in_process(app: Flask, runner: Any, signum: int) -> None:
    before = signal.getsignal(signum)
    queue(app, "ada@example.org")
    failures: list[str] = []

    def stop_once_sent() -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not rows(app)[0].sent_at:
            if time.monotonic() > deadline:
                failures.append("timed out waiting for the e-mail")
                break
            time.sleep(0.02)
        # Only the worker's handler may receive it: the default would end the test run.
        if signal.getsignal(signum) is not before:
            os.kill(os.getpid(), signum)
        else:
            failures.append("the worker installed no signal handler")

    with smtp_server() as (mailbox, port):
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        stopper = threading.Thread(target=stop_once_sent, daemon=True)
        stopper.start()
        result = runner.invoke(args=["outbox", "work", "--poll", "0.1"])
        stopper.join(WAIT_SECONDS)

    assert failures == []
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "outbox worker: sending due e-mail, looking every 0.1 s",
        "sent 1, failed 0, waiting 0",
        "outbox worker: stopped",
    ]
    assert mailbox.recipients == [["ada@example.org"]]
    assert signal.getsignal(signum) is before


def test_outbox_work_refuses_a_malformed_smtp_url(app: Flask, runner: Any) -> None:
    app.config["SMTP_URL"] = "smtp://ada:s3cret-pw@mail.example.org:twenty-five"
    result = runner.invoke(args=["outbox", "work"])
    assert result.exit_code != 0
    assert "ISSUER_SMTP_URL is malformed" in result.output
    assert "s3cret" not in result.output
