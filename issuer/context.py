"""Per-application helpers the blueprints share: URLs, schemas, the key store, the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import event

from issuer.extensions import db
from issuer.openbadges.jsonld import Contexts, load_contexts
from issuer.openbadges.schemas import (
    DocumentSchemaError,
    SchemaRegistry,
    SchemaValidationError,
    check_document,
    load_validator,
)
from issuer.openbadges.urls import PublicUrls
from issuer.services.grants import GrantKey
from issuer.services.keystore import FileKeyStore, KeyStore, current_key, current_proof_key
from issuer.services.signing import ProofSigner, Signer
from issuer.services.verification import TrustedKeys


def init_app(app: Flask) -> None:
    """Attach the shared helpers to the app and tune the database connections."""
    app.extensions["issuer.urls"] = PublicUrls(app.config["BASE_URL"])
    app.extensions["issuer.schemas"] = SchemaRegistry(app.config["SCHEMAS_DIR"])
    app.extensions["issuer.grant_key"] = GrantKey.derive(app.config["SECRET_KEY"])
    app.extensions["issuer.account_key"] = GrantKey.derive(
        app.config["SECRET_KEY"], b"issuer account links"
    )
    app.extensions["issuer.contexts"] = load_contexts(Path(app.config["SCHEMAS_DIR"]) / "contexts")
    official = app.config.get("OB3_SCHEMA")
    app.extensions["issuer.ob3_schema"] = load_validator(Path(official)) if official else None
    store = app.config.get("KEY_STORE") or FileKeyStore(app.config["KEYS_DIR"])
    app.extensions["issuer.keystore"] = store
    app.session_interface = LazyCookieSessionInterface()
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    elif engine.dialect.driver == "psycopg":
        event.listen(engine, "connect", _binary_arrays)


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but no signing machinery for requests without a cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Open the session; an empty one at once when the request carries no session cookie."""
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Save the session; for a visitor without one, nothing to do (the hot path)."""
        if not session and not session.modified and not request.cookies:
            # Pages depend on who is signed in; documents and images do not.
            if response.mimetype == "text/html":
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def urls() -> PublicUrls:
    """The public URL builder of the current app."""
    value: PublicUrls = current_app.extensions["issuer.urls"]
    return value


def signer() -> Signer:
    """A signer with the current signing key of the current app."""
    return Signer(urls(), current_key(keystore()), grant_key(), account_key())


def account_key() -> GrantKey:
    """The key of the current app's password links (invitations, resets)."""
    value: GrantKey = current_app.extensions["issuer.account_key"]
    return value


def grant_key() -> GrantKey:
    """The key of the current app's one-time wallet grants."""
    value: GrantKey = current_app.extensions["issuer.grant_key"]
    return value


def proof_signer() -> ProofSigner:
    """A Data Integrity signer with the current Ed25519 key of the current app."""
    return ProofSigner(urls(), current_proof_key(keystore()), contexts())


def trusted_keys() -> TrustedKeys:
    """What badge checks trust: the current app's keys of both kinds and its contexts."""
    store = keystore()
    return TrustedKeys(store.list_keys(), store.list_proof_keys(), contexts())


def contexts() -> Contexts:
    """The local JSON-LD contexts (the server never fetches one)."""
    value: Contexts = current_app.extensions["issuer.contexts"]
    return value


def schemas() -> SchemaRegistry:
    """The JSON Schemas of the current app."""
    value: SchemaRegistry = current_app.extensions["issuer.schemas"]
    return value


def check_credential(credential: dict[str, Any]) -> None:
    """Raise DocumentSchemaError unless a credential we built passes our schema and, when
    configured (ISSUER_OB3_SCHEMA), the official AchievementCredential schema."""
    try:
        schemas().validate("ob3/credential", credential)
    except SchemaValidationError as error:
        raise DocumentSchemaError(f"schemas/ob3/credential.json: {error}") from None
    official = current_app.extensions["issuer.ob3_schema"]
    if official is not None:
        check_document(official, credential, "the official AchievementCredential schema")


def keystore() -> KeyStore:
    """The signing key store of the current app."""
    value: KeyStore = current_app.extensions["issuer.keystore"]
    return value


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside a writer (several gunicorn workers); foreign keys are off by
    # default in SQLite. A page cache of up to 32 MiB (2 MiB by default, allocated as used)
    # keeps a 10,000-award batch's index pages in memory: its inserts take a third less time.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.close()


def _binary_arrays(dbapi_connection: Any, _record: Any) -> None:
    # Batches pass one array per column (10,000 addresses, ids, dates): psycopg writes lists
    # in the text format with a regular expression per element, five times slower than the
    # binary format, which needs no quoting.
    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)
