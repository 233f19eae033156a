"""Sending the e-mail outbox from the web process: a background thread per app.

The outbox itself (issuer.services.outbox) only stores and sends; this module decides when, in
a running web app: after each commit that queued e-mail, in a daemon thread that gives way to
requests.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response, after_this_request, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from issuer.extensions import db
from issuer.mail import sender_from_config
from issuer.services.outbox import QUEUED, deliver_all_due

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

# How often the background thread looks again while e-mail waits for a retry.
POLL_SECONDS = 60.0
# The background thread sends while no request is being served in its process, and waits at
# most this long for a quiet moment before sending the next e-mail anyway.
YIELD_SECONDS = 0.5
YIELD_POLL_SECONDS = 0.01
# After a wake-up, how long the thread waits for more e-mail before it sends: under a steady
# stream of awards it then sends in batches (one connection, one claim) instead of one by one.
GATHER_SECONDS = 0.2


def init_app(app: Flask) -> None:
    """Prepare in-process delivery: a worker for the app, idle until needed.

    Its thread starts after the first request that commits e-mail, never at import time or in
    CLI commands. With OUTBOX_DELIVERY "off" at start-up, requests carry no extra cost at all.
    """
    worker = OutboxWorker(app)
    app.extensions["issuer.outbox"] = worker
    _workers.add(worker)
    if app.config["OUTBOX_DELIVERY"] == "background":
        app.wsgi_app = _TrackRequests(app.wsgi_app)  # type: ignore[method-assign]
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_soft_rollback)


def worker(app: Flask) -> OutboxWorker:
    """The app's background delivery worker."""
    value: OutboxWorker = app.extensions["issuer.outbox"]
    return value


def stop_all(timeout: float = 10.0) -> None:
    """Stop every background delivery thread of this process (tests, interpreter exit)."""
    for each in list(_workers):
        each.stop(timeout)


class OutboxWorker:
    """Delivers an app's outbox in a daemon thread, woken after each commit that queued e-mail.

    The thread sends what is due, then looks again every POLL_SECONDS while e-mail waits for
    a retry, and ends when nothing is left; the next commit starts a new one. E-mail left over
    by an earlier process is sent with the next new e-mail, or by ``flask outbox send``.
    It gives way to requests: between e-mails it waits (up to YIELD_SECONDS) until no request
    is being served in the process, so sending hardly slows the web process down.
    """

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the delivery thread is alive."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def kick(self) -> None:
        """Deliver due e-mail soon, starting the thread if it is not running."""
        with self._lock:
            if self._stopping.is_set():
                return
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                _register_atexit()
                self._thread = threading.Thread(
                    target=self._run, name="issuer-outbox-delivery", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after the e-mail it is sending, waiting up to ``timeout`` seconds."""
        with self._lock:
            thread = self._thread
            self._stopping.set()
            self._wake.set()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("outbox: the delivery thread did not stop within %s s", timeout)
                return  # stays stopping, so it ends after its current e-mail
        with self._lock:
            self._stopping.clear()
            self._wake.clear()

    def _pace(self) -> bool:
        """Wait for a moment without requests (bounded); False when asked to stop."""
        deadline = time.monotonic() + YIELD_SECONDS
        while _busy and time.monotonic() < deadline and not self._stopping.is_set():
            self._stopping.wait(YIELD_POLL_SECONDS)
        return not self._stopping.is_set()

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._wake.wait(POLL_SECONDS)
                # Let the e-mail of the next few commits gather, and send them in one run.
                if self._stopping.wait(GATHER_SECONDS):
                    break
                self._wake.clear()
                waiting = self._deliver()
                with self._lock:
                    if not waiting and not self._wake.is_set():
                        # Nothing left to retry; under the lock, so a kick now starts a new thread.
                        self._thread = None
                        return
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _deliver(self) -> bool:
        """Send what is due; whether unsent e-mail remains. Logs, never raises."""
        try:
            with self._app.app_context():
                sender = sender_from_config(self._app.config)
                # A connection of its own, closed afterwards rather than pooled: the thread
                # may outlive the pool (tests dispose engines; workers get recycled). An
                # in-memory SQLite database lives in its one shared connection: keep that.
                with db.engine.connect() as connection:
                    if not isinstance(db.engine.pool, StaticPool | SingletonThreadPool):
                        connection.detach()
                    try:
                        with Session(bind=connection) as session:
                            report = deliver_all_due(
                                sender,
                                mail_from=str(self._app.config["MAIL_FROM"]),
                                session=session,
                                pace=self._pace,
                            )
                    finally:
                        sender.close()
        except Exception:
            log.exception("outbox: background delivery failed; trying again in %d s", POLL_SECONDS)
            return True
        if report.sent or report.failed:
            log.info(
                "outbox: sent %d, failed %d, waiting %d",
                report.sent,
                report.failed,
                report.remaining,
            )
        return report.remaining > 0


_workers: weakref.WeakSet[OutboxWorker] = weakref.WeakSet()
# The threads serving a request in this process just now. Adding and discarding are atomic,
# so requests pay no lock for it.
_busy: set[int] = set()
_thread_id = threading.get_ident
_atexit_registered = False
_atexit_lock = threading.Lock()


def _register_atexit() -> None:
    global _atexit_registered  # once per process, when the first thread starts
    with _atexit_lock:
        if not _atexit_registered:
            atexit.register(stop_all, 5.0)
            _atexit_registered = True


def _after_commit(session: Session) -> None:
    if session.info.pop(QUEUED, False) and has_request_context():
        # After the view, once the response is built, so sending never competes with it.
        after_this_request(_kick)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(QUEUED, None)


def _kick(response: Response) -> Response:
    if current_app.config["OUTBOX_DELIVERY"] == "background":
        worker(current_app).kick()
    return response


class _TrackRequests:
    """WSGI middleware noting which threads serve a request, at the cost of a set operation."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        thread = _thread_id()
        _busy.add(thread)
        try:
            return self.app(environ, start_response)
        finally:
            _busy.discard(thread)
