"""Sending e-mail: an SMTP sender configured by one URL, and a logging stand-in without one.

``ISSUER_SMTP_URL`` takes one of three forms (user and password are optional, and
percent-encoded like in any URL)::

    smtp://user:pass@mail.example.org:25            plain SMTP (port 25 unless given)
    smtp+starttls://user:pass@mail.example.org:587  upgraded to TLS with STARTTLS (port 587)
    smtps://user:pass@mail.example.org:465          TLS from the first byte (port 465)

No error message or log line built here contains the password.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Protocol, TextIO
from urllib.parse import unquote, urlsplit

from issuer.models.types import utcnow

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailConfigError(ValueError):
    """The SMTP URL is malformed."""


class MailDeliveryError(RuntimeError):
    """A message could not be handed to the mail server (the reason, never a credential)."""


class MailSender(Protocol):
    """Something that delivers e-mail messages; one sender is used by one thread at a time."""

    def send(self, message: EmailMessage) -> None:
        """Deliver one message or raise MailDeliveryError."""

    def close(self) -> None:
        """Release any connection kept open between messages."""


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    date: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """Build a message: plain text, or multipart/alternative with an HTML part as well.

    A caller that may send the same message twice (a retry after a crash) passes a stable
    ``message_id`` (``<unique@domain>``), so mail clients can recognise the duplicate.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or utcnow())
    message["Message-ID"] = message_id or make_msgid(domain=domain_of(sender))
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def sender_from_config(config: Mapping[str, Any]) -> MailSender:
    """The sender the configuration asks for: SMTP when SMTP_URL is set, else the log.

    :raises MailConfigError: when SMTP_URL is malformed.
    """
    url = config.get("SMTP_URL")
    if not url:
        return LogSender()
    return SmtpSender.from_url(str(url), timeout=float(config.get("SMTP_TIMEOUT", DEFAULT_TIMEOUT)))


class LogSender:
    """Stands in for a mail server when none is configured: prints each message on the
    console (standard error, where `flask run` and gunicorn write), and logs it at INFO."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        """Print and log the recipient, subject and plain-text body."""
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if isinstance(body, EmailMessage) else ""
        summary = (
            f"e-mail not sent (ISSUER_SMTP_URL is not set) to {message['To']}, "
            f"subject {message['Subject']!r}:\n{text}"
        )
        stream = self.stream or sys.stderr
        rule = "-" * 72
        stream.write(f"{rule}\n{summary.rstrip()}\n{rule}\n")
        stream.flush()
        log.info("%s", summary)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class SmtpSender:
    """Sends through an SMTP server, keeping one connection open across consecutive messages."""

    host: str
    port: int
    mode: str = "plain"  # "plain", "starttls" or "ssl"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)
    _connection: smtplib.SMTP | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> SmtpSender:
        """Parse ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URLs (see the module doc).

        :raises MailConfigError: naming what is wrong, without the password.
        """
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as error:
            raise MailConfigError(f"ISSUER_SMTP_URL is malformed: {error}") from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise MailConfigError(
                "ISSUER_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, "
                f"got {scheme + '://' if scheme else 'no scheme'}"
            )
        if not parts.hostname:
            raise MailConfigError("ISSUER_SMTP_URL names no host")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise MailConfigError("ISSUER_SMTP_URL takes no path, query or fragment")
        username = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password) if parts.password is not None else None
        if bool(username) != bool(password):
            raise MailConfigError(
                "ISSUER_SMTP_URL needs both a user name and a password, or neither"
            )
        if timeout <= 0:
            raise MailConfigError("the SMTP timeout must be positive")
        return cls(
            host=parts.hostname,
            port=port or _DEFAULT_PORTS[scheme],
            mode={"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}[scheme],
            username=username or None,
            password=password or None,
            timeout=timeout,
            ssl_context=ssl_context,
        )

    def send(self, message: EmailMessage) -> None:
        """Send one message, reconnecting once if the kept connection was dropped meanwhile.

        :raises MailDeliveryError: when the server refuses the message or cannot be reached.
        """
        reused = self._connection is not None
        try:
            try:
                self._connected().send_message(message)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The server closed the idle connection before taking anything: try afresh.
                self._drop()
                self._connected().send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise MailDeliveryError(f"SMTP {self.host}:{self.port}: {_describe(error)}") from None

    def close(self) -> None:
        """Say goodbye to the server, if connected; errors are ignored."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _connected(self) -> smtplib.SMTP:
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        connection: smtplib.SMTP
        if self.mode == "ssl":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.mode == "starttls":
                connection.ehlo()
                connection.starttls(context=context)
                connection.ehlo()
            if self.username and self.password:
                connection.login(self.username, self.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _describe(error: BaseException) -> str:
    """A short reason for a failed send; server replies are quoted, never our credentials."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = [
            f"{address} refused ({code} {_text(reply)})"
            for address, (code, reply) in error.recipients.items()
        ]
        return "; ".join(refusals) or "all recipients refused"
    if isinstance(error, smtplib.SMTPResponseException):
        kind = type(error).__name__.removeprefix("SMTP")
        return f"{kind}: {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, TimeoutError):
        return "timed out"
    detail = str(error) or type(error).__name__
    return (
        f"{type(error).__name__}: {detail}" if isinstance(error, smtplib.SMTPException) else detail
    )


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def domain_of(address: str) -> str:
    """The domain of an address such as ``Badges <badges@example.org>`` (else localhost)."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"
