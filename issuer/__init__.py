"""Open Badges issuer server."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the Flask application."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from issuer import cli, context, delivery, errors, inputs, ratelimits, security
    from issuer.api import bp as api_bp
    from issuer.auth import access
    from issuer.auth import bp as auth_bp
    from issuer.config import TEMPLATES_DIR, finalize_config, load_config
    from issuer.extensions import db, migrate
    from issuer.profiles import bp as profiles_bp
    from issuer.profiles import routes as profile_routes
    from issuer.public import bp as public_bp
    from issuer.public.fastpath import HostedAssertionFastPath
    from issuer.studio import bp as studio_bp

    # issuer/static/: the pages' style sheet and scripts (caching: see security.py).
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), static_folder="static")
    app.config.update(load_config())
    if test_config:
        app.config.update(test_config)
    finalize_config(app.config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep id and openBadgeId first

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    _protect_forms(app)
    context.init_app(app)
    delivery.init_app(app)  # sends the outbox in a thread, started by the first request needing it
    errors.init_app(app)
    inputs.init_app(app)  # no control characters or broken Unicode in any text input
    security.init_app(app)  # security headers of the pages, session cookie settings
    access.init_app(app)
    profile_routes.init_app(app)
    for blueprint in (api_bp, public_bp, auth_bp, studio_bp, profiles_bp):
        app.register_blueprint(blueprint)
    ratelimits.init_app(app)  # needs the views: it limits some of them
    app.wsgi_app = HostedAssertionFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    if hops := int(app.config["PROXY_HOPS"]):
        # The client's address, and the host name it asked for (X-Forwarded-Host).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_host=hops)  # type: ignore[method-assign]
    cli.init_app(app)
    return app


def _protect_forms(app: Flask) -> None:
    """Check the CSRF token of every state-changing request, except the token-based API."""
    from flask import request

    from issuer.api import bp as api_bp
    from issuer.extensions import csrf

    # Flask-WTF's own hook works out exemptions before it looks at the method; checking the
    # method first keeps GETs (every verifier's request) free of that work.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    csrf.exempt(api_bp)  # token-authenticated JSON: no cookies, so no CSRF to defend against
    # A wallet proves itself with a signed presentation and a one-time challenge, no cookies.
    csrf.exempt("issuer.public.routes.wallet_request")

    @app.before_request
    def check_csrf() -> None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            csrf.protect(apply_exemptions=True)
