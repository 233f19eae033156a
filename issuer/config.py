"""Configuration: defaults, the ISSUER_* environment, and checks of the values."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_KEYS_DIR = PROJECT_ROOT / "keys"
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
TEMPLATES_DIR = PROJECT_ROOT / "templates"


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed."""


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the app configuration from ``ISSUER_*`` environment variables and defaults."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("ISSUER_DATA_DIR", str(DEFAULT_DATA_DIR)))
    database_url = env.get("ISSUER_DATABASE_URL") or f"sqlite:///{data_dir / 'issuer.db'}"
    return {
        "DATA_DIR": data_dir,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # The address `flask run` prints, so that its links and the browser agree.
        "BASE_URL": env.get("ISSUER_BASE_URL", "http://127.0.0.1:5000"),
        # Page requests reaching the server by another host name go to BASE_URL's host.
        "REDIRECT_TO_BASE_URL": _flag(env, "ISSUER_REDIRECT_TO_BASE_URL", True),
        "SECRET_KEY": env.get("ISSUER_SECRET_KEY"),
        "KEYS_DIR": Path(env.get("ISSUER_KEYS_DIR", str(DEFAULT_KEYS_DIR))),
        "MAX_IMAGE_BYTES": _int(env, "ISSUER_MAX_IMAGE_BYTES", 2 * 1024 * 1024),
        # A 10,000-recipient award body with evidence and a 2 MiB image (base64) both fit.
        "MAX_CONTENT_LENGTH": _int(env, "ISSUER_MAX_REQUEST_BYTES", 16 * 1024 * 1024),
        "SCHEMAS_DIR": SCHEMAS_DIR,
        # Unset: e-mails are written to the log instead of being sent (see issuer/mail.py).
        "SMTP_URL": env.get("ISSUER_SMTP_URL") or None,
        # Unset: badges@<host of BASE_URL> (localhost for an IP address).
        "MAIL_FROM": env.get("ISSUER_MAIL_FROM") or None,
        # "background": each web process also sends its outbox, in a thread (the quick start);
        # "off": only `flask outbox work` (the worker, for production) or `outbox send` do.
        "OUTBOX_DELIVERY": env.get("ISSUER_OUTBOX_DELIVERY") or "background",
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none), so
        # that recorded client addresses are the clients', not the proxy's.
        "PROXY_HOPS": _int(env, "ISSUER_PROXY_HOPS", 0),
        # The official OB 3.0 AchievementCredential JSON Schema, when a copy is at hand: every
        # credential is then checked against it too, before it is signed.
        "OB3_SCHEMA": env.get("ISSUER_OB3_SCHEMA") or None,
        # Rate limits per client address (issuer/ratelimits.py), counted in the database unless
        # a storage URI of the limits library (redis://...) is given.
        "RATELIMIT_ENABLED": _flag(env, "ISSUER_RATELIMITS", True),
        "RATELIMIT_STORAGE": env.get("ISSUER_RATELIMIT_STORAGE") or "database",
        "RATELIMIT_LOGIN": env.get("ISSUER_RATELIMIT_LOGIN") or "10 per minute; 100 per hour",
        "RATELIMIT_VERIFY": env.get("ISSUER_RATELIMIT_VERIFY") or "30 per minute; 300 per hour",
    }


def finalize_config(config: dict[str, Any]) -> None:
    """Normalise and check the merged configuration; raise ConfigError on bad values."""
    base_url = str(config.get("BASE_URL") or "").rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"ISSUER_BASE_URL must be an http(s) origin such as https://badges.example.org, "
            f"got {base_url!r}"
        )
    config["BASE_URL"] = base_url
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        # The database holds password and token digests: keep its folder private, and the file
        # too, whatever mode a folder that existed already has (SQLite gives its -wal and -shm
        # files the mode of the database file).
        database = Path(uri.removeprefix("sqlite:///"))
        database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if (fd := _create_private_file(database)) is not None:
            os.close(fd)  # an empty file is a new SQLite database
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _persistent_secret(Path(config["DATA_DIR"]))
    if int(config.setdefault("PROXY_HOPS", 0)) < 0:
        raise ConfigError("ISSUER_PROXY_HOPS must be 0 or more")
    if config.get("OB3_SCHEMA") and not Path(config["OB3_SCHEMA"]).is_file():
        raise ConfigError(f"ISSUER_OB3_SCHEMA names no file: {config['OB3_SCHEMA']}")
    if int(config["MAX_IMAGE_BYTES"]) <= 0:
        raise ConfigError("ISSUER_MAX_IMAGE_BYTES must be a positive number")
    if not config.get("MAIL_FROM"):
        config["MAIL_FROM"] = f"badges@{_mail_domain(parts.hostname)}"
    for name in ("RATELIMIT_LOGIN", "RATELIMIT_VERIFY"):
        value = config.setdefault(name, "")
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(
                f"ISSUER_{name} must be limits such as '10 per minute; 100 per hour', got {value!r}"
            ) from None
    delivery = config.setdefault("OUTBOX_DELIVERY", "background")
    if delivery not in ("background", "off"):
        raise ConfigError(f"ISSUER_OUTBOX_DELIVERY must be background or off, got {delivery!r}")


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "true", "1", "yes"):
        return True
    if raw in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"{name} must be on or off, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _persistent_secret(data_dir: Path) -> str:
    """Return a secret kept in the data folder, so sessions survive restarts and workers agree."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = _create_private_file(path)
    if fd is None:  # another worker won the race
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def _create_private_file(path: Path) -> int | None:
    """Create an empty file readable by its owner only; None (and no change) if it exists.

    Returns the open file descriptor, for the caller to write or close.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    os.fchmod(fd, 0o600)  # exactly: a strict umask must not leave the owner unable to write
    return fd


def _mail_domain(hostname: str | None) -> str:
    """A host name fit for an e-mail address: an IP address (127.0.0.1) is not one."""
    try:
        ipaddress.ip_address(hostname or "")
    except ValueError:
        return hostname or "localhost"
    return "localhost"
