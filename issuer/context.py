"""Per-application helpers the blueprints share: URLs, schemas, the key store, the database."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy import event

from issuer.extensions import db
from issuer.openbadges.schemas import SchemaRegistry
from issuer.openbadges.urls import PublicUrls
from issuer.services.keystore import FileKeyStore, KeyStore


def init_app(app: Flask) -> None:
    """Attach the shared helpers to the app and tune the database connections."""
    app.extensions["issuer.urls"] = PublicUrls(app.config["BASE_URL"])
    app.extensions["issuer.schemas"] = SchemaRegistry(app.config["SCHEMAS_DIR"])
    store = app.config.get("KEY_STORE") or FileKeyStore(app.config["KEYS_DIR"])
    app.extensions["issuer.keystore"] = store
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)


def urls() -> PublicUrls:
    """The public URL builder of the current app."""
    value: PublicUrls = current_app.extensions["issuer.urls"]
    return value


def schemas() -> SchemaRegistry:
    """The JSON Schemas of the current app."""
    value: SchemaRegistry = current_app.extensions["issuer.schemas"]
    return value


def keystore() -> KeyStore:
    """The signing key store of the current app."""
    value: KeyStore = current_app.extensions["issuer.keystore"]
    return value


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside a writer (several gunicorn workers); foreign keys are off by
    # default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
