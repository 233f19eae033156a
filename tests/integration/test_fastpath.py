"""The WSGI fast path answers exactly as the Flask views it stands in front of."""

import logging
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from issuer.public import fastpath
from issuer.public.fastpath import HostedAssertionFastPath
from tests.support import BASE_URL, ApiClient

COMPARED = (
    "Content-Type",
    "Content-Length",
    "ETag",
    "Cache-Control",
    "Access-Control-Allow-Origin",
    "Content-Disposition",
    "Content-Security-Policy",
    "X-Content-Type-Options",
)


def answers(app: Flask, path: str, **kwargs: Any) -> list[tuple[int, bytes, dict[str, str]]]:
    """The answer of the fast path and of the views alone to the same request."""
    fast = app.wsgi_app
    assert isinstance(fast, HostedAssertionFastPath)
    result = []
    for wsgi in (fast, fast.next_app):
        response = Client(wsgi).get(path, **kwargs)
        headers = {name: response.headers.get(name, "") for name in COMPARED}
        result.append((response.status_code, response.get_data(), headers))
    return result


@pytest.mark.parametrize(
    "suffix",
    [
        "",
        ".json",
        "/signed",
        "/image",
        "/image?signed=1",
        "/credential.json",
        "/image?format=ob3-di",
    ],
)
def test_same_answers(app: Flask, make_badge: Any, award: Any, suffix: str) -> None:
    assertion = award(make_badge()["id"], "ada@example.org", narrative="N")["awards"][0]
    path = assertion["openBadgeId"].removeprefix(BASE_URL) + suffix
    fast, view = answers(app, path)
    assert fast == view
    assert fast[0] == 200
    etag = fast[2]["ETag"]
    cached_fast, cached_view = answers(app, path, headers={"If-None-Match": etag})
    assert cached_fast[0] == cached_view[0] == 304


def test_same_answers_once_revoked(app: Flask, api: ApiClient, make_badge: Any, award: Any) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Mistake"})
    for suffix in ("", "/signed", "/image", "/credential.json"):
        fast, view = answers(app, assertion["openBadgeId"].removeprefix(BASE_URL) + suffix)
        assert fast == view
        assert fast[0] == 410


def views_must_not_answer(environ: Any, start_response: Any) -> Any:
    """A next_app for requests the fast path must answer itself."""
    raise AssertionError(f"the fast path handed {environ['PATH_INFO']} on")


def fast_path_alone(app: Flask) -> Client:
    """A client of the fast path with no views behind it."""
    return Client(HostedAssertionFastPath(app, views_must_not_answer))


@pytest.mark.parametrize(
    ("suffix", "content_type"),
    [
        ("", "application/ld+json"),
        ("/signed", "text/plain; charset=utf-8"),
        ("/image?signed=1", "image/png"),
        ("/image?format=ob3", "image/png"),
        ("/image?format=ob3-di", "image/png"),
        ("/credential.json", "application/vc+ld+json"),
    ],
)
def test_the_fast_path_itself_answers_made_forms(
    app: Flask, make_badge: Any, award: Any, suffix: str, content_type: str
) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    path = assertion["openBadgeId"].removeprefix(BASE_URL) + suffix
    made = app.test_client().get(path)  # the view makes and stores what is made on first use
    assert made.status_code == 200
    alone = fast_path_alone(app)
    response = alone.get(path)
    assert response.status_code == 200
    assert response.get_data() == made.get_data()
    assert response.headers["Content-Type"] == content_type
    head = alone.head(path)
    assert (head.status_code, head.get_data()) == (200, b"")
    assert head.headers["Content-Length"] == response.headers["Content-Length"]
    cached = alone.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert (cached.status_code, cached.get_data()) == (304, b"")


def test_the_fast_path_itself_answers_a_revoked_award(
    app: Flask, api: ApiClient, make_badge: Any, award: Any
) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Mistake"})
    gone = fast_path_alone(app).get(assertion["openBadgeId"].removeprefix(BASE_URL))
    assert gone.status_code == 410
    assert b"revocationReason" in gone.get_data()


def test_a_fault_in_the_fast_path_is_logged_and_the_views_answer(
    app: Flask,
    make_badge: Any,
    award: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assertion = award(make_badge()["id"], "ada@example.org")["awards"][0]
    path = assertion["openBadgeId"].removeprefix(BASE_URL)

    def broken(*_args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(fastpath, "hosted_assertion", broken)
    fast = app.wsgi_app
    assert isinstance(fast, HostedAssertionFastPath)
    with caplog.at_level(logging.ERROR, logger="issuer.public.fastpath"):
        response = Client(fast).get(path)
    assert response.status_code == 200  # from the view
    assert "the fast path failed" in caplog.text and "RuntimeError" in caplog.text
    # Expected hand-overs are not faults: an unknown id goes to the views without a log line.
    monkeypatch.undo()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="issuer.public.fastpath"):
        missing = Client(fast).get("/public/assertions/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and caplog.text == ""
