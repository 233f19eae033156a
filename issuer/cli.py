"""Command-line tools: ``flask --app wsgi init | users | tokens | keys | outbox ...``."""

from __future__ import annotations

from collections.abc import Sequence

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from issuer import context, delivery
from issuer.extensions import db
from issuer.mail import MailConfigError, MailSender, sender_from_config
from issuer.services import outbox
from issuer.services import users as user_service
from issuer.services.errors import ServiceError
from issuer.services.issuers import list_issuers
from issuer.services.keystore import ProofKey, StoredKey, ensure_signing_keys, rotate_keys
from issuer.services.schema import missing_schema_parts

users_cli = AppGroup("users", help="Manage users.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")
keys_cli = AppGroup("keys", help="Manage the signing keys.")
outbox_cli = AppGroup("outbox", help="Deliver queued e-mail.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(init_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(outbox_cli)


@click.command("init")
@click.option(
    "--admin-email",
    envvar="ISSUER_ADMIN_EMAIL",
    default="admin@example.org",
    show_default=True,
    help="E-mail of the first admin, created only when there is no admin yet.",
)
@with_appcontext
def init_command(admin_email: str) -> None:
    """Create or upgrade the database, create a signing key and the first admin if missing."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    missing = missing_schema_parts()
    if missing:
        raise click.ClickException(
            "the database lacks what the queries rely on (restore it, or run the migrations "
            "on an empty database): " + "; ".join(missing)
        )
    click.echo("Database schema is up to date (indexes and triggers checked).")
    for key in ensure_signing_keys(context.keystore()):
        click.echo(f"Created {_kind(key)} key {key.kid} in {current_app.config['KEYS_DIR']}.")
    try:
        first = user_service.ensure_first_admin(admin_email)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    if first is None:
        return
    click.echo("")
    click.echo("Created the first admin. These secrets are shown only once:")
    click.echo(f"  login:     {first.user.email}")
    click.echo(f"  password:  {first.password}")
    click.echo(f"  API token: {first.token}")
    click.echo("")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--admin", is_flag=True, help="Make the user an admin (default: learner).")
@click.option("--password", default=None, help="Password for logging in (default: none).")
def create_user(email: str, name: str, admin: bool, password: str | None) -> None:
    """Create a user."""
    try:
        user = user_service.create_user(
            email, name, role="admin" if admin else "learner", password=password
        )
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@tokens_cli.command("create")
@click.argument("email")
def create_token(email: str) -> None:
    """Print a new API token for a user; it is stored hashed and shown only this once."""
    try:
        token = user_service.create_token(email)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(token)


@keys_cli.command("rotate")
def rotate_keys_command() -> None:
    """Create a new key of each kind; they sign from now on, and every older key stays
    published."""
    for key in rotate_keys(context.keystore()):
        click.echo(f"Created {_kind(key)} key {key.kid}; new awards are signed with it.")
    click.echo("Earlier keys stay published, so badges signed with them keep verifying.")


@keys_cli.command("list")
def list_keys() -> None:
    """List the signing keys, oldest first, and where each issuer publishes them."""
    store = context.keystore()
    keys, proof_keys = store.list_keys(), store.list_proof_keys()
    if not keys and not proof_keys:
        raise click.ClickException("there is no signing key yet; run 'flask --app wsgi init'")
    by_kind: tuple[Sequence[StoredKey], ...] = (keys, proof_keys)
    for kind_keys in by_kind:
        for index, key in enumerate(kind_keys):
            status = "signing" if index == len(kind_keys) - 1 else "retired, still published"
            click.echo(
                f"{key.kid}  {_kind(key):<7}  created {key.created_at:%Y-%m-%d %H:%M:%S}Z  {status}"
            )
    urls = context.urls()
    issuers = list_issuers()
    if issuers:
        click.echo("")
        click.echo("Published for each issuer at:")
        for issuer in issuers:
            click.echo(f"  {issuer.name}:")
            for key in keys:
                click.echo(f"    {urls.key(issuer.id, key.kid)}")
            if proof_keys:
                click.echo(f"    {urls.did_document(issuer.id)} (Ed25519 keys of its DID)")


def _kind(key: StoredKey) -> str:
    return "Ed25519" if isinstance(key, ProofKey) else "RSA"


@outbox_cli.command("send")
def send_outbox() -> None:
    """Send every queued e-mail that is due, once; failed ones wait for their next retry.

    Safe to run beside the web processes and workers: no e-mail is sent twice at once.
    """
    sender = _checked_sender()
    try:
        report = outbox.deliver_all_due(sender, mail_from=str(current_app.config["MAIL_FROM"]))
    finally:
        sender.close()
    click.echo(str(report))


@outbox_cli.command("work")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=delivery.POLL_SECONDS,
    show_default=True,
    help="Seconds between looks for new e-mail.",
)
def work_outbox(poll: float) -> None:
    """Send queued e-mail as it falls due, until SIGTERM or Ctrl-C (the e-mail worker).

    On a signal it finishes the e-mail it is sending and exits. Several workers, on several
    hosts, may run at once: each e-mail is claimed by one of them.
    """
    _checked_sender().close()  # a malformed ISSUER_SMTP_URL stops it now, not in every round
    click.echo(f"outbox worker: sending due e-mail, looking every {poll:g} s")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    delivery.work(app, poll=poll, report=lambda report: click.echo(str(report)))
    click.echo("outbox worker: stopped")


def _checked_sender() -> MailSender:
    try:
        return sender_from_config(current_app.config)
    except MailConfigError as error:
        raise click.ClickException(str(error)) from None
