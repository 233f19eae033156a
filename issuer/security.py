"""HTTP security headers of the pages, and the settings of the session cookie.

Every HTML response gets a Content-Security-Policy that runs scripts and styles from our own
origin only: the pages have no inline code, their style sheet and scripts are files in
``issuer/static/`` served by Flask's static route. It refuses framing and sends no CORS header:
only the public documents and images are open to every origin. A policy a view set itself (SVG
images) is kept.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

# The referrer goes to our own pages only: Flask-WTF's CSRF check compares it with the host on
# HTTPS, and form handlers return to it. Other sites (evidence links, issuers' websites,
# LinkedIn) learn nothing, not even which badge service a person came from.
REFERRER_POLICY = "same-origin"
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Set the cookie defaults and add the headers."""
    base = urlsplit(app.config["BASE_URL"])
    https = base.scheme == "https"
    # Flask's own defaults count as unset (they are in app.config already, so setdefault
    # alone would never apply); a value a deployment or a test chose is kept.
    for key, value in (
        ("SESSION_COOKIE_SAMESITE", "Lax"),
        ("SESSION_COOKIE_HTTPONLY", True),
        ("SESSION_COOKIE_SECURE", https),
    ):
        if app.config.get(key) == app.default_config.get(key):
            app.config[key] = value
    # Flask-Login's remember cookie (not used by the login form today), if it ever is.
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", https)
    # Pages show images by their public URLs (BASE_URL), which is 'self' unless the site is
    # reached by another name; blob: is the badge form's preview of the chosen file.
    policy = content_security_policy(f"'self' {base.scheme}://{base.netloc} blob:")
    if app.config["REDIRECT_TO_BASE_URL"]:
        _redirect_pages_to_base_host(app, base.scheme, base.netloc)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        # The style sheet and scripts keep Flask's caching: no max-age, revalidated by ETag (a
        # 304 for a few small files). A max-age on these unversioned URLs would keep a stale
        # file after a deploy; versioned URLs (?v=<hash>) would save that round trip but need a
        # URL helper and hashing: not worth it for a few small files.
        if request.endpoint == "static" and response.mimetype != "text/html":
            headers["X-Content-Type-Options"] = "nosniff"
            return response
        # Documents and images keep their own headers, the same as the WSGI fast path's
        # (issuer/public/fastpath.py). A 304 has no Content-Type of its own (Flask's default is
        # text/html, even for a document's), and a cache keeps the headers stored with the 200.
        if response.mimetype != "text/html" or response.status_code == 304:
            return response
        headers.pop("Access-Control-Allow-Origin", None)
        if https:
            headers["Strict-Transport-Security"] = HSTS
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = REFERRER_POLICY
        headers.setdefault("Content-Security-Policy", policy)
        return response


def content_security_policy(images: str) -> str:
    """The policy of every HTML page, with ``images`` the sources of ``img-src``."""
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def _redirect_pages_to_base_host(app: Flask, scheme: str, netloc: str) -> None:
    """Send a person who reached a page by another name of the server (127.0.0.1 for
    localhost, a bare IP address) to the base URL's host, where links and the session are."""

    @app.before_request
    def to_base_host() -> WerkzeugResponse | None:
        if request.method not in ("GET", "HEAD") or request.host == netloc:
            return None
        if "html" not in request.headers.get("Accept", "") or request.path.startswith("/api/"):
            return None  # documents, images and the API answer under any name
        if "X-Forwarded-For" in request.headers and "X-Forwarded-Host" not in request.headers:
            # Behind a proxy that does not say which name the browser used, the host we see is
            # the proxy's upstream address: redirecting would send the browser in a circle.
            return None
        target = f"{scheme}://{netloc}{request.full_path.rstrip('?')}"
        return redirect(target, code=308)
