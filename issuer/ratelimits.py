"""Rate limits on what invites guessing or costs work without an account (Flask-Limiter).

What is limited, per client address (the proxy's client with ISSUER_PROXY_HOPS set), and what
a client over its limit gets: 429 with Retry-After, in the error shape of the page or API.

- POST /login, and every later password form: ``RATELIMIT_LOGIN``, one count for them all.
- POST /verify and POST /api/v1/verify (no token needed, uploads parsed): ``RATELIMIT_VERIFY``,
  one count for both.

The counts live in the app's own database by default (:class:`DatabaseStorage`), so every
worker and every host of a deployment shares them with nothing more to run; any storage URI of
the limits library (``redis://...``) may be configured instead.
"""

from __future__ import annotations

import random
import time
from typing import cast

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from issuer.extensions import db
from issuer.models import RateLimitCounter

# The views each limit covers; views sharing a setting share one count per client.
LIMITED_VIEWS = {
    "RATELIMIT_LOGIN": ("auth.login",),
    # Checking a badge or a wallet's signed request: both cost a signature check.
    "RATELIMIT_VERIFY": ("public.verify", "api.verify", "public.wallet_request"),
}
DATABASE = "database"
_SCHEME = "issuer-database"
_COUNTERS = cast(Table, RateLimitCounter.__table__)
# One counter write in this many also deletes the expired counters.
_PURGE_ONE_IN = 100


def init_app(app: Flask) -> None:
    """Limit the views of LIMITED_VIEWS (call after the blueprints are registered)."""
    if not app.config["RATELIMIT_ENABLED"]:
        return
    storage = app.config["RATELIMIT_STORAGE"]
    limiter = Limiter(
        get_remote_address,
        storage_uri=f"{_SCHEME}://" if storage == DATABASE else storage,
        strategy="fixed-window",
        headers_enabled=True,
        key_prefix="issuer",
    )
    limiter.init_app(app)
    for setting, endpoints in LIMITED_VIEWS.items():
        shared = limiter.shared_limit(app.config[setting], scope=setting.lower(), methods=["POST"])
        for endpoint in endpoints:
            # The wrapped view counts and refuses before it runs (as the decorator would).
            app.view_functions[endpoint] = shared(app.view_functions[endpoint])  # type: ignore[assignment]
    app.extensions["issuer.limiter"] = limiter


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limit_counters`` table of the current app.

    Each count is one upsert in a transaction of its own, apart from the request's, so that
    it holds whatever the request does and never waits for it.
    """

    STORAGE_SCHEME = [_SCHEME]  # noqa: RUF012 - the limits library's registry reads this list

    @property
    def base_exceptions(self) -> type[Exception]:
        """The errors of the storage: any database error."""
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count ``amount`` hits in the key's window, starting a new window if it ended."""
        now = time.time()
        ended = _COUNTERS.c.expires_at <= now
        dialect = db.engine.dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(_COUNTERS)
        statement = (
            insert.values(bucket=key, hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=["bucket"],
                set_={
                    "hits": case((ended, amount), else_=_COUNTERS.c.hits + amount),
                    "expires_at": case((ended, now + expiry), else_=_COUNTERS.c.expires_at),
                },
            )
            .returning(_COUNTERS.c.hits)
        )
        with db.engine.begin() as connection:
            hits = connection.execute(statement).scalar_one()
            if random.randrange(_PURGE_ONE_IN) == 0:  # noqa: S311 - not for security
                connection.execute(delete(_COUNTERS).where(_COUNTERS.c.expires_at < now))
        return int(hits)

    def get(self, key: str) -> int:
        """The hits in the key's current window (0 once it ended)."""
        with db.engine.connect() as connection:
            hits = connection.execute(
                select(_COUNTERS.c.hits).where(
                    _COUNTERS.c.bucket == key, _COUNTERS.c.expires_at > time.time()
                )
            ).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now, if there is none)."""
        with db.engine.connect() as connection:
            expires_at = connection.execute(
                select(_COUNTERS.c.expires_at).where(_COUNTERS.c.bucket == key)
            ).scalar()
        return float(expires_at or time.time())

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with db.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every count."""
        with db.engine.begin() as connection:
            return connection.execute(delete(_COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's count."""
        with db.engine.begin() as connection:
            connection.execute(delete(_COUNTERS).where(_COUNTERS.c.bucket == key))
