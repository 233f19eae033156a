"""Security headers of the pages (CSP without inline code, framing, referrer, HSTS), the static
files and the cookies."""

from __future__ import annotations

import io
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import issuer
from issuer.services.keystore import MemoryKeyStore
from tests.support import BASE_URL, SVG_150, csrf_token, data_uri

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTTPS_BASE = "https://badges.example.org"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
STATIC = Path(issuer.__file__).parent / "static"


def path(url: str) -> str:
    """The path of one of our public URLs."""
    return url.removeprefix(BASE_URL)


def policy(response: TestResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy of a response, by directive."""
    directives: dict[str, list[str]] = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class PageCode(HTMLParser):
    """What a policy governs: the scripts and style sheets a page loads, and its inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []  # src of every <script>
        self.stylesheets: list[str] = []  # href of every <link rel="stylesheet">
        # <style> elements, <script> elements with code, style= and on...= attributes,
        # javascript: URLs.
        self.inline: list[str] = []
        self._script: str | None = None  # the start tag of the <script> being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "style":
            self.inline.append("<style>")
        elif tag == "script":
            self._script = self.get_starttag_text() or tag
            if values.get("src"):
                self.scripts.append(values["src"] or "")
            else:
                self.inline.append(self._script)
        elif tag == "link" and "stylesheet" in (values.get("rel") or "").split():
            self.stylesheets.append(values.get("href") or "")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.inline.append(f"<{tag} {name}={value!r}>")
            elif (value or "").strip().lower().startswith("javascript:"):
                self.inline.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None and data.strip():
            self.inline.append(f"{self._script}{data.strip()[:40]}")


def page_code(html: str) -> PageCode:
    parser = PageCode()
    parser.feed(html)
    parser.close()
    return parser


def check_page(response: TestResponse, status: int = 200) -> PageCode:
    """Every security header of an HTML page, and a page without inline code that loads its
    style sheet and scripts from our static files."""
    assert response.status_code == status, response.request.path
    assert response.mimetype == "text/html"
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Access-Control-Allow-Origin" not in headers
    assert "Strict-Transport-Security" not in headers  # BASE_URL is http here
    assert headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' {BASE_URL} blob:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    html = response.get_data(as_text=True)
    assert "nonce" not in html
    found = page_code(html)
    assert found.inline == [], response.request.path
    assert found.stylesheets == ["/static/site.css"]
    assert all(src.startswith("/static/js/") for src in found.scripts), found.scripts
    return found


def test_the_page_check_sees_inline_code() -> None:
    found = page_code(
        '<link rel="stylesheet" href="/static/site.css"><style>p {}</style>'
        '<script src="/static/js/a.js" defer></script><script>run()</script>'
        '<p style="color: red" onclick="run()"><a href=" JavaScript:run()">x</a></p>'
    )
    assert found.stylesheets == ["/static/site.css"]
    assert found.scripts == ["/static/js/a.js"]
    assert found.inline == [
        "<style>",
        "<script>",
        "<script>run()",
        "<p style='color: red'>",
        "<p onclick='run()'>",
        "<a href=' JavaScript:run()'>",
    ]


@pytest.fixture
def site(
    api: Any,
    as_admin: FlaskClient,
    people: dict[str, str],
    make_badge: Callable[..., dict[str, Any]],
    award: Callable[..., dict[str, Any]],
    course: dict[str, Any],
) -> dict[str, str]:
    """One of everything: a badge held by the learner, a course, a CSV file waiting for review."""
    badge = make_badge(name="Explorer")
    learner = api.get("/users", query_string={"email": people["learner"]}).json["users"][0]["id"]
    held = award(badge["id"], people["learner"], narrative="Well done")["awards"][0]
    upload = f"/studio/badges/{badge['id']}/award-csv"
    preview = as_admin.post(
        upload,
        data={
            "csrf_token": csrf_token(as_admin, upload),
            "file": (io.BytesIO(b"email\nnew@example.org\n"), "people.csv"),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 302
    return {
        "badge": path(badge["openBadgeId"]),
        "badge_id": badge["id"],
        "issuer": f"/public/issuers/{badge['issuer']}",
        "assertion": path(held["openBadgeId"]),
        "learner": learner,
        "course": course["id"],
        "upload": upload,
        "preview": preview.headers["Location"],
    }


PUBLIC_PAGES = ["/", "/badges", "/verify", "/login"]


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_carry_the_headers(client: FlaskClient, page: str) -> None:
    check_page(client.get(page))


def test_every_page_carries_the_headers(
    client: FlaskClient, as_admin: FlaskClient, as_learner: FlaskClient, site: dict[str, str]
) -> None:
    anonymous = [site["badge"], site["issuer"], site["assertion"], f"/users/{site['learner']}"]
    for page in anonymous:
        check_page(client.get(page, headers={"Accept": BROWSER}))
    for page in ["/feed", "/notifications", f"/users/{site['learner']}", site["assertion"]]:
        check_page(as_learner.get(page, headers={"Accept": BROWSER}))
    studio = [
        "/studio/badges",
        "/studio/badges/new",
        f"/studio/badges/{site['badge_id']}/edit",
        "/studio/issuers",
        "/studio/issuers/new",
        "/studio/users",
        f"/studio/users/{site['learner']}/award",
        "/studio/settings",
        "/studio/courses",
        "/studio/courses/new",
        f"/studio/courses/{site['course']}",
        f"/studio/courses/{site['course']}/edit",
        site["upload"],
        site["preview"],
        f"/users/{site['learner']}",  # with the admin's Revoke forms
        "/feed",
        site["assertion"],
    ]
    for page in studio:
        check_page(as_admin.get(page, headers={"Accept": BROWSER}))


def test_the_pages_that_run_scripts_load_them_from_static_files(
    client: FlaskClient, as_admin: FlaskClient, as_learner: FlaskClient, site: dict[str, str]
) -> None:
    pages = [
        (as_learner, site["assertion"], "copy-url.js"),  # the owner's "Copy badge URL"
        (as_admin, "/studio/badges/new", "badge-form.js"),
        (as_admin, f"/studio/badges/{site['badge_id']}/edit", "badge-form.js"),
        (as_admin, "/studio/courses/new", "course-form.js"),
        (as_admin, f"/studio/courses/{site['course']}/edit", "course-form.js"),
        (as_admin, site["preview"], "award-csv.js"),
        (as_admin, f"/studio/users/{site['learner']}/award", "award-form.js"),
    ]
    menu = "/static/js/menu.js"  # every page's: the site's links fold behind "Menu" on phones
    for who, page, script in pages:
        found = check_page(who.get(page, headers={"Accept": BROWSER}))
        assert found.scripts == [menu, f"/static/js/{script}"], page
    assert check_page(client.get("/badges")).scripts == [menu]
    # Visitors of an award's page have nothing to copy (the address bar has the address).
    visitor = client.get(site["assertion"], headers={"Accept": BROWSER})
    assert check_page(visitor).scripts == [menu]
    # Every script is in use.
    shipped = {file.name for file in (STATIC / "js").iterdir()}
    assert shipped == {script for _, _, script in pages} | {"menu.js"}


def test_static_files_are_served_with_their_type_and_revalidated(client: FlaskClient) -> None:
    files = {"/static/site.css": "text/css"} | {
        f"/static/js/{file.name}": "text/javascript" for file in (STATIC / "js").iterdir()
    }
    for url, mimetype in files.items():
        # Closed as a WSGI server would: send_file leaves the file open until then.
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.mimetype == mimetype, url
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            # Flask's default caching: no max-age, so a deploy is seen at once, but an ETag.
            assert response.headers["Cache-Control"] == "no-cache"
            assert response.data == (STATIC / url.removeprefix("/static/")).read_bytes()
            assert "Content-Security-Policy" not in response.headers
            assert "Access-Control-Allow-Origin" not in response.headers
        with client.get(url, headers={"If-None-Match": response.headers["ETag"]}) as again:
            assert again.status_code == 304, url
            assert again.headers["X-Content-Type-Options"] == "nosniff"
    # A page's style sheet gives no room for inline code either.
    css = (STATIC / "site.css").read_text()
    assert "@import" not in css and "url(" not in css


def test_error_pages_carry_the_headers(client: FlaskClient, as_learner: FlaskClient) -> None:
    check_page(client.get("/no-such-page", headers={"Accept": BROWSER}), 404)
    unknown = "/public/badges/00000000-0000-0000-0000-000000000000"
    # errors.py opens /public errors to every origin: not when the error is a page.
    check_page(client.get(unknown, headers={"Accept": BROWSER}), 404)
    check_page(as_learner.get("/studio/badges", headers={"Accept": BROWSER}), 403)
    check_page(client.get("/static/js/no-such.js", headers={"Accept": BROWSER}), 404)
    as_json = client.get(unknown)
    assert as_json.mimetype == "application/json"
    assert as_json.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Security-Policy" not in as_json.headers


def test_pages_stay_cacheable_by_etag(client: FlaskClient, site: dict[str, str]) -> None:
    """A page is the same bytes every time (no nonce): its ETag holds and a revalidation
    answers 304."""
    for page in (site["badge"], site["assertion"], "/"):
        first = client.get(page, headers={"Accept": BROWSER})
        second = client.get(page, headers={"Accept": BROWSER})
        assert first.data == second.data
        assert first.headers["ETag"] == second.headers["ETag"]
        again = client.get(
            page, headers={"Accept": BROWSER, "If-None-Match": first.headers["ETag"]}
        )
        assert again.status_code == 304, page
        assert again.data == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        other = client.get(page, headers={"Accept": BROWSER, "If-None-Match": '"other"'})
        assert other.status_code == 200


def test_documents_and_images_keep_their_cors_and_own_policy(
    client: FlaskClient, api: Any, make_badge: Callable[..., dict[str, Any]]
) -> None:
    badge = make_badge(image=data_uri(SVG_150.encode(), "image/svg+xml"))
    page = client.get(path(badge["openBadgeId"]), headers={"Accept": BROWSER})
    assert page.mimetype == "text/html"
    assert "Access-Control-Allow-Origin" not in page.headers
    document = client.get(path(badge["openBadgeId"]) + ".json")
    assert document.mimetype == "application/ld+json"
    assert document.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Security-Policy" not in document.headers
    assert "X-Frame-Options" not in document.headers
    image = client.get(path(badge["image"]))
    assert image.mimetype == "image/svg+xml"
    assert image.headers["Access-Control-Allow-Origin"] == "*"
    assert image.headers["Content-Security-Policy"] == SVG_POLICY  # the view's own, kept
    listed = api.get("/badges")
    assert listed.status_code == 200
    assert "Content-Security-Policy" not in listed.headers
    assert "Access-Control-Allow-Origin" not in listed.headers  # the API never had CORS


def session_cookie(client: FlaskClient) -> str:
    """The Set-Cookie header of the session (the login page keeps its CSRF token there)."""
    response = client.get("/login")
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def test_session_cookie_over_http(app: Flask, client: FlaskClient) -> None:
    cookie = session_cookie(client)
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" in cookie
    assert "Secure" not in cookie
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_https_base_url_makes_cookies_secure_and_sends_hsts(
    make_app: Callable[..., Flask], keystore: MemoryKeyStore
) -> None:
    app = make_app(keystore, BASE_URL=HTTPS_BASE)
    client = app.test_client()
    cookie = session_cookie(client)
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    hsts = "max-age=31536000; includeSubDomains"
    page = client.get("/")
    assert page.headers["Strict-Transport-Security"] == hsts
    assert policy(page)["img-src"] == ["'self'", HTTPS_BASE, "blob:"]
    missing = client.get("/no-such-page", headers={"Accept": BROWSER})
    assert missing.headers["Strict-Transport-Security"] == hsts
    # Documents answer exactly as the WSGI fast path does, which adds no headers of its own.
    assert "Strict-Transport-Security" not in client.get("/.well-known/jwks.json").headers


def test_a_chosen_cookie_setting_is_kept(
    make_app: Callable[..., Flask], keystore: MemoryKeyStore
) -> None:
    app = make_app(keystore, BASE_URL=HTTPS_BASE, SESSION_COOKIE_SAMESITE="Strict")
    cookie = session_cookie(app.test_client())
    assert "SameSite=Strict" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie  # the other defaults still apply


def test_pages_under_another_host_name_go_to_the_base_url(
    make_app: Callable[..., Flask], keystore: MemoryKeyStore
) -> None:
    app = make_app(keystore, REDIRECT_TO_BASE_URL=True)
    client = app.test_client()
    html = {"Accept": "text/html"}
    response = client.get("/badges?page=2", headers=html)  # the test client is "localhost"
    assert response.status_code == 308
    assert response.headers["Location"] == "http://issuer.test/badges?page=2"
    assert client.get("/badges", headers=html, base_url="http://issuer.test").status_code == 200
    # Documents, the API and forms answer under any name.
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert client.post("/login", headers=html).status_code != 308
    # Behind a proxy that hides the browser's host name, nothing is redirected (no loop).
    proxied = {**html, "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/badges", headers=proxied).status_code == 200
