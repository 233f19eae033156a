"""Mail senders: the SMTP URL, messages, and real SMTP conversations on loopback (aiosmtpd)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import io
import ipaddress
import logging
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from issuer.mail import (
    LogSender,
    MailConfigError,
    MailDeliveryError,
    SmtpSender,
    build_message,
    sender_from_config,
)


@dataclass
class Mailbox:
    """An aiosmtpd handler keeping every message it accepts, and the logins it saw."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Store the message (aiosmtpd calls this for each DATA command)."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Accept the login ada / p@ss:w/rd% only."""
        assert isinstance(auth_data, LoginPassword)
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("ada", "p@ss:w/rd%"), handled=False)


@dataclass
class SlowMailbox(Mailbox):
    """A Mailbox taking ``pause`` per message, noting how many messages arrived at once; a
    ``held`` one keeps every message waiting until the test sets ``release``."""

    pause: float = 0.0
    held: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    in_flight: int = 0
    most_in_flight: int = 0

    def __post_init__(self) -> None:
        if not self.held:
            self.release.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Wait for the release and ``pause`` more, then store the message as Mailbox does."""
        self.in_flight += 1  # aiosmtpd runs every session in one event loop: no lock needed
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            await asyncio.sleep(self.pause)
            return await super().handle_DATA(server, session, envelope)
        finally:
            self.in_flight -= 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def smtp_server(mailbox: Mailbox | None = None, **options: Any) -> Iterator[tuple[Mailbox, int]]:
    """Run a real SMTP server on 127.0.0.1 for the duration of the block."""
    mailbox = mailbox or Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A plain SMTP server and its port."""
    with smtp_server() as running:
        yield running


@dataclass(frozen=True)
class Tls:
    """A self-signed certificate for 127.0.0.1, as server and client SSL contexts."""

    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A certificate for 127.0.0.1 that the client context trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return Tls(server=server, client=client)


def sample(to: str = "ada@example.org") -> EmailMessage:
    """A two-part message with non-ASCII text."""
    return build_message(
        sender="badges@issuer.test",
        to=to,
        subject="You received the badge “Zoë”",
        text="Hello Ada,\n\nSee your award: http://issuer.test/public/assertions/1\n",
        html="<p>Hello <b>Ada</b></p>",
    )


# The SMTP URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "port", "mode"),
    [
        ("smtp://mail.example.org", "mail.example.org", 25, "plain"),
        ("smtp://mail.example.org:2525/", "mail.example.org", 2525, "plain"),
        ("smtp+starttls://mail.example.org", "mail.example.org", 587, "starttls"),
        ("SMTP+STARTTLS://mail.example.org:1587", "mail.example.org", 1587, "starttls"),
        ("smtps://mail.example.org", "mail.example.org", 465, "ssl"),
        ("smtp://[::1]:25", "::1", 25, "plain"),
    ],
)
def test_url_schemes_and_default_ports(url: str, host: str, port: int, mode: str) -> None:
    sender = SmtpSender.from_url(url, timeout=3)
    assert (sender.host, sender.port, sender.mode) == (host, port, mode)
    assert sender.username is None and sender.password is None
    assert sender.timeout == 3


def test_url_credentials_are_percent_decoded() -> None:
    sender = SmtpSender.from_url("smtps://ada%40example.org:p%40ss%3Aw%2Frd%25@mail.example.org")
    assert sender.username == "ada@example.org"
    assert sender.password == "p@ss:w/rd%"
    assert "p@ss" not in repr(sender)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("mail.example.org", "must start with smtp://"),
        ("http://mail.example.org", "must start with smtp://"),
        ("smtp://", "names no host"),
        ("smtp://mail.example.org:port", "malformed"),
        ("smtp://mail.example.org:99999", "malformed"),
        ("smtp://mail.example.org/relay", "no path"),
        ("smtp://mail.example.org?tls=1", "no path"),
        ("smtp://ada@mail.example.org", "both a user name and a password"),
        ("smtp://:s3cret-pw@mail.example.org", "both a user name and a password"),
    ],
)
def test_malformed_urls_are_refused_without_the_password(url: str, complaint: str) -> None:
    with pytest.raises(MailConfigError, match=complaint) as raised:
        SmtpSender.from_url(url)
    assert "s3cret" not in str(raised.value)


def test_sender_from_config() -> None:
    assert isinstance(sender_from_config({"SMTP_URL": None}), LogSender)
    assert isinstance(sender_from_config({}), LogSender)
    sender = sender_from_config({"SMTP_URL": "smtp://localhost:2525", "SMTP_TIMEOUT": 2})
    assert isinstance(sender, SmtpSender)
    assert (sender.port, sender.timeout) == (2525, 2.0)
    with pytest.raises(MailConfigError):
        sender_from_config({"SMTP_URL": "smtp://localhost:x"})


# Messages -------------------------------------------------------------------------------------


def test_build_message_is_multipart_alternative_with_all_headers() -> None:
    message = build_message(
        sender="Badges <badges@issuer.test>",
        to="ada@example.org",
        subject="You received the badge “Zoë”",
        text="plain ✓",
        html="<p>html ✓</p>",
        date=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
        message_id="<1234@issuer.test>",
    )
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] == "Badges <badges@issuer.test>"
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "You received the badge “Zoë”"
    assert message["Date"] == "Wed, 01 May 2024 12:00:00 +0000"
    assert message["Message-ID"] == "<1234@issuer.test>"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert plain.get_content() == "plain ✓\n"
    assert html.get_content() == "<p>html ✓</p>\n"
    # Survives the trip through bytes (non-ASCII subject as an encoded word).
    again = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert again["Subject"] == "You received the badge “Zoë”"


def test_build_message_defaults() -> None:
    message = build_message(sender="badges@issuer.test", to="a@example.org", subject="S", text="T")
    assert message.get_content_type() == "text/plain"
    assert message["Message-ID"].endswith("@issuer.test>")
    assert message["Date"]


def test_log_sender_logs_instead_of_sending(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="issuer.mail")
    console = io.StringIO()
    sender = LogSender(console)
    sender.send(sample())
    sender.close()
    printed = console.getvalue()
    assert "not sent (ISSUER_SMTP_URL is not set) to ada@example.org" in printed
    assert "See your award: http://issuer.test/public/assertions/1" in printed
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    text = record.getMessage()
    assert "ada@example.org" in text
    assert "You received the badge “Zoë”" in text
    assert "See your award: http://issuer.test/public/assertions/1" in text
    assert "<b>" not in text


# Real SMTP conversations ----------------------------------------------------------------------


def test_plain_smtp_delivers_and_reuses_the_connection(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    sender = SmtpSender.from_url(f"smtp://127.0.0.1:{port}", timeout=5)
    sender.send(sample("ada@example.org"))
    first = sender._connection
    sender.send(sample("bob@example.org"))
    assert sender._connection is first is not None  # one connection for both
    sender.close()
    sender.close()  # twice is fine
    assert mailbox.recipients == [["ada@example.org"], ["bob@example.org"]]
    received = mailbox.messages[0]
    assert received["Subject"] == "You received the badge “Zoë”"
    assert received.get_content_type() == "multipart/alternative"


def test_a_dropped_connection_is_reopened() -> None:
    with smtp_server() as (mailbox, port):
        sender = SmtpSender.from_url(f"smtp://127.0.0.1:{port}", timeout=5)
        sender.send(sample())
        assert sender._connection is not None
        sender._connection.close()  # as if the server hung up while we were idle
        sender.send(sample("bob@example.org"))
        sender.close()
    assert mailbox.recipients == [["ada@example.org"], ["bob@example.org"]]


def test_unreachable_server_raises_mail_delivery_error() -> None:
    port = free_port()
    sender = SmtpSender.from_url(f"smtp://ada:s3cret-pw@127.0.0.1:{port}", timeout=5)
    with pytest.raises(MailDeliveryError, match=f"127.0.0.1:{port}") as raised:
        sender.send(sample())
    assert "s3cret" not in str(raised.value)
    assert sender._connection is None
    sender.close()


def test_starttls_with_login(tls: Tls) -> None:
    mailbox = Mailbox()
    with smtp_server(
        mailbox,
        tls_context=tls.server,
        require_starttls=True,
        authenticator=mailbox.authenticate,
        auth_required=True,
    ) as (_, port):
        url = f"smtp+starttls://ada:p%40ss%3Aw%2Frd%25@127.0.0.1:{port}"
        sender = SmtpSender.from_url(url, timeout=5, ssl_context=tls.client)
        sender.send(sample())
        sender.close()
    assert mailbox.logins == [("ada", "p@ss:w/rd%")]
    assert mailbox.recipients == [["ada@example.org"]]


def test_wrong_password_is_a_delivery_error_without_the_password(tls: Tls) -> None:
    mailbox = Mailbox()
    with smtp_server(
        mailbox, tls_context=tls.server, require_starttls=True, authenticator=mailbox.authenticate
    ) as (_, port):
        url = f"smtp+starttls://ada:wrong-s3cret@127.0.0.1:{port}"
        sender = SmtpSender.from_url(url, timeout=5, ssl_context=tls.client)
        with pytest.raises(MailDeliveryError, match="535") as raised:
            sender.send(sample())
    assert "s3cret" not in str(raised.value)
    assert mailbox.messages == []


def test_starttls_refuses_an_untrusted_certificate(tls: Tls) -> None:
    with smtp_server(tls_context=tls.server, require_starttls=True) as (mailbox, port):
        sender = SmtpSender.from_url(f"smtp+starttls://127.0.0.1:{port}", timeout=5)
        with pytest.raises(MailDeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            sender.send(sample())
    assert mailbox.messages == []


def test_smtps(tls: Tls) -> None:
    with smtp_server(ssl_context=tls.server) as (mailbox, port):
        sender = SmtpSender.from_url(f"smtps://127.0.0.1:{port}", timeout=5, ssl_context=tls.client)
        sender.send(sample())
        sender.close()
    assert mailbox.recipients == [["ada@example.org"]]


def test_refused_recipient_is_a_delivery_error() -> None:
    class Picky(Mailbox):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            return "550 5.1.1 no such mailbox"

    with smtp_server(Picky()) as (mailbox, port):
        sender = SmtpSender.from_url(f"smtp://127.0.0.1:{port}", timeout=5)
        with pytest.raises(
            MailDeliveryError, match=re.escape("ada@example.org refused (550 5.1.1")
        ):
            sender.send(sample())
    assert mailbox.messages == []
