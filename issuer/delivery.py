"""When the e-mail outbox is sent: one delivery loop, in a worker process or a web thread.

The outbox itself (issuer.services.outbox) only stores and sends. ``DeliveryLoop`` sends what
is due, sleeps until the next retry is due (or ``poll`` seconds), and stops after the e-mail it
is sending when asked to. Production runs it as a process of its own: ``flask --app wsgi
outbox work`` calls ``work()``, which stops on SIGTERM or SIGINT. The quick start
(OUTBOX_DELIVERY "background") runs the same loop in a daemon thread of each web process,
started and woken by the commit of a request that queued e-mail.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from flask import Flask, Response, after_this_request, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from issuer.extensions import db
from issuer.mail import sender_from_config
from issuer.models.types import utcnow
from issuer.services.outbox import QUEUED, DeliveryReport, deliver_all_due, next_due_at

log = logging.getLogger(__name__)

# How long the worker process sleeps when nothing is due sooner: nothing wakes it when another
# process queues e-mail, so this is how late an award's e-mail may leave.
POLL_SECONDS = 5.0
# The same for the thread in a web process. Commits wake it, so its polls only find e-mail
# queued by other processes (or left by one that died).
BACKGROUND_POLL_SECONDS = 60.0
# The shortest sleep between rounds. Due e-mail that a round could not claim is being claimed
# by another sender just now; looking again at once would only spin.
MIN_PAUSE_SECONDS = 0.5
# After a wake-up, the thread waits this long before it sends: under a steady stream of awards
# it then sends in batches (one connection, one claim) instead of one e-mail per request.
GATHER_SECONDS = 0.2


def _log_report(report: DeliveryReport) -> None:
    log.info("outbox: %s", report)


class DeliveryLoop:
    """Delivers an app's outbox round after round, until stopped.

    Each round sends every due e-mail, in an app context of its own. Between rounds it sleeps
    until the next retry is due, ``poll`` seconds at most, or until ``wake()``. ``stop()`` lets
    the e-mail being sent finish and be recorded; claimed e-mail not yet sent is due again at
    once, for the next sender.
    """

    def __init__(
        self,
        app: Flask,
        *,
        poll: float = POLL_SECONDS,
        gather: float = 0.0,
        report: Callable[[DeliveryReport], None] = _log_report,
    ) -> None:
        self.app = app
        self.poll = poll
        self.gather = gather
        self.report = report
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # guards _thread
        self._thread: threading.Thread | None = None
        self._failing = False  # whether the last round failed

    @property
    def running(self) -> bool:
        """Whether the loop's thread is alive."""
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Deliver in the calling thread until stop() or request_stop()."""
        while not self._stopping.is_set():
            self._wake.clear()
            pause = self.deliver()
            if self._wake.wait(pause) and self.gather:
                # Woken by a commit: let the e-mail of the next few commits join this round.
                self._stopping.wait(self.gather)

    def deliver(self) -> float:
        """One round: send what is due; the seconds to sleep before the next. Never raises."""
        try:
            with self.app.app_context():
                sender = sender_from_config(self.app.config)
                try:
                    report = deliver_all_due(
                        sender,
                        mail_from=str(self.app.config["MAIL_FROM"]),
                        keep_going=lambda: not self._stopping.is_set(),
                    )
                finally:
                    sender.close()
                due = next_due_at()
        except Exception as error:
            # The database or the mail server is unreachable, say. The traceback once, then a
            # line per round: a worker polling a database that is down would flood its log.
            log.error(
                "outbox: delivery failed (%s); trying again in %s s",
                f"{type(error).__name__}: {error}".splitlines()[0],
                self.poll,
                exc_info=not self._failing,
            )
            self._failing = True
            return self.poll
        self._failing = False
        if report.sent or report.failed:
            self.report(report)
        if due is None:
            return self.poll
        return min(self.poll, max(MIN_PAUSE_SECONDS, (due - utcnow()).total_seconds()))

    def start(self) -> None:
        """Run the loop in a daemon thread, unless it runs already."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = _LoopThread(self)
                self._thread.start()

    def wake(self) -> None:
        """Deliver now: start the thread, or end its sleep."""
        self.start()
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the loop to stop after the e-mail it is sending; returns at once.

        It takes no lock but the events' own, so a signal handler may call it.
        """
        self._stopping.set()
        self._wake.set()

    def join(self) -> None:
        """Wait for the loop's thread to end (signal handlers still run meanwhile)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after the e-mail it is sending, waiting up to ``timeout`` seconds."""
        self.request_stop()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("outbox: the delivery thread did not stop within %s s", timeout)
                return  # stays stopping, so it ends after its current e-mail
        self._stopping.clear()  # a later wake() starts a new thread


class _LoopThread(threading.Thread):
    """The daemon thread of a DeliveryLoop; stop_all finds it among the process's threads."""

    def __init__(self, loop: DeliveryLoop) -> None:
        super().__init__(target=loop.run, name="issuer-outbox-delivery", daemon=True)
        self.loop = loop


def work(app: Flask, *, poll: float, report: Callable[[DeliveryReport], None]) -> None:
    """Run the delivery loop in the foreground until SIGTERM or SIGINT (must be main thread)."""
    loop = DeliveryLoop(app, poll=poll, report=report)

    def handle(signum: int, frame: FrameType | None) -> None:
        # A second signal ends the process at once: the default action is back.
        for each in (signal.SIGTERM, signal.SIGINT):
            signal.signal(each, signal.SIG_DFL)
        loop.request_stop()

    # The loop runs in a thread, the main thread only waits for it: a signal handler then never
    # interrupts the loop while it holds the lock of the events the handler sets.
    previous = {each: signal.signal(each, handle) for each in (signal.SIGTERM, signal.SIGINT)}
    try:
        loop.start()
        loop.join()
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def loop(app: Flask) -> DeliveryLoop:
    """The app's in-process delivery loop (its thread starts when first woken)."""
    value: DeliveryLoop = app.extensions["issuer.outbox"]
    return value


def stop_all(timeout: float = 10.0) -> None:
    """Stop every delivery thread of this process after its current e-mail (tests)."""
    for thread in threading.enumerate():
        if isinstance(thread, _LoopThread):
            thread.loop.stop(timeout)


def init_app(app: Flask) -> None:
    """Give the app its delivery loop, idle until a request commits e-mail.

    Its thread never starts at import time or in CLI commands (a forking server such as
    gunicorn would lose it), only after a request, and only with OUTBOX_DELIVERY "background".
    """
    app.extensions["issuer.outbox"] = DeliveryLoop(
        app, poll=BACKGROUND_POLL_SECONDS, gather=GATHER_SECONDS
    )
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_soft_rollback)


def _after_commit(session: Session) -> None:
    if session.info.pop(QUEUED, False) and has_request_context():
        # After the view, once the response is built, so sending never competes with it.
        after_this_request(_wake)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(QUEUED, None)


def _wake(response: Response) -> Response:
    if current_app.config["OUTBOX_DELIVERY"] == "background":
        loop(current_app).wake()
    return response
