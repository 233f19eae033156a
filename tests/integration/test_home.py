"""The home page: what the site is for, recent public awards, badges to earn and the issuers."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from issuer.extensions import db
from issuer.services import profiles
from tests.support import ApiClient, csrf_token


def home(client: FlaskClient) -> str:
    """The home page's HTML."""
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html: str, heading: str) -> str:
    """One section of the home page, by the id of its heading ("" when it is not there)."""
    found = re.search(rf'<section[^>]*aria-labelledby="{heading}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_the_home_page_says_what_the_site_is(client: FlaskClient, make_issuer: Any) -> None:
    make_issuer(name="Example Academy")
    html = home(client)
    assert "This is where Example Academy\u2019s badges are issued, verified and collected." in html
    assert 'href="/login"' in html and "to see your badges" in html
    assert "add them to a digital wallet" in html
    assert '<a href="/verify">verify a badge</a>' in html
    assert "Example Academy" in section(html, "issuers-heading")
    assert client.get("/").headers["Cache-Control"] == "public, no-cache"


def test_several_issuers_are_named_in_the_introduction(
    client: FlaskClient, make_issuer: Any
) -> None:
    for name in ("Alpha", "Beta", "Gamma"):
        make_issuer(name=name)
    assert "This is where the badges of Alpha, Beta and Gamma are issued" in home(client)
    make_issuer(name="Delta")
    assert "This is where our badges are issued" in home(client)


def test_recent_awards_are_public_current_and_shown(
    client: FlaskClient,
    api: ApiClient,
    as_learner: FlaskClient,
    people: dict[str, str],
    make_issuer: Any,
    make_badge: Any,
    award: Any,
) -> None:
    issuer = make_issuer()["id"]

    def awarded(name: str, recipient: str = "ada@example.org", **fields: Any) -> dict[str, Any]:
        badge = make_badge(issuer=issuer, name=name)
        return dict(award(badge["id"], recipient, **fields)["awards"][0])

    shown = awarded("Trailblazer")
    secret = make_badge(issuer=issuer, name="Secret Flair", private=True)
    hidden_award = award(secret["id"], "ada@example.org")["awards"][0]
    revoked = awarded("Withdrawn")
    assert (
        api.post(f"/assertions/{revoked['id']}/revoke", {"reason": "Mistake."}).status_code == 200
    )
    shy = awarded("Shy", people["learner"])
    token = csrf_token(as_learner, "/feed")
    as_learner.post(f"/awards/{shy['id']}/visibility", data={"csrf_token": token, "hidden": "1"})
    awarded("Lapsed", issued_on="2020-01-01T00:00:00Z", expires="2021-01-01T00:00:00Z")
    awarded("Quietly", post_to_feed=False)

    html = home(client)
    recent = section(html, "recent-heading")
    assert "Trailblazer" in recent
    assert f'/public/assertions/{shown["id"]}"' in recent
    for left_out in ("Secret Flair", "Withdrawn", "Shy", "Lapsed", "Quietly"):
        assert left_out not in recent, left_out
    # A private badge is in no public list of the page, not even by its id.
    assert "Secret Flair" not in html
    assert secret["id"] not in html and hidden_award["id"] not in html


def test_recent_awards_are_the_newest_few(client: FlaskClient, make_badge: Any, award: Any) -> None:
    first = make_badge(name="Oldest")
    award(first["id"], "early@example.org")
    badge = make_badge(name="Popular")
    award(badge["id"], *(f"learner{number}@example.org" for number in range(12)))
    recent = section(home(client), "recent-heading")
    assert recent.count("<li>") == 10
    assert "Popular" in recent and "Oldest" not in recent


def test_the_catalogue_shows_achievable_badges_only(
    client: FlaskClient, api: ApiClient, make_issuer: Any, make_badge: Any
) -> None:
    issuer = make_issuer()["id"]
    public = make_badge(issuer=issuer, name="Navigator")
    make_badge(issuer=issuer, name="Hidden Gem", private=True)
    old = make_badge(issuer=issuer, name="Retired")
    assert api.patch(f"/badges/{old['id']}", {"archived": True}).status_code == 200
    for number in range(10):
        make_badge(issuer=issuer, name=f"Z{number:02}")
    catalogue = section(home(client), "badges-heading")
    assert "Navigator" in catalogue and f'/public/badges/{public["id"]}"' in catalogue
    assert "Hidden Gem" not in catalogue and "Retired" not in catalogue
    assert catalogue.count("<li>") == 8  # a few, by name; the whole list is a link away
    assert '<a href="/badges">See all badges</a>' in catalogue


def test_an_empty_site_says_so(client: FlaskClient) -> None:
    html = home(client)
    assert "No badges have been awarded here yet." in section(html, "recent-heading")
    assert "There are no public badges yet." in section(html, "badges-heading")
    assert section(html, "issuers-heading") == ""


def test_no_recent_awards_while_the_feed_is_off(
    app: Flask, client: FlaskClient, make_badge: Any, award: Any
) -> None:
    badge = make_badge(name="Before")
    award(badge["id"], "ada@example.org")
    with app.app_context():
        profiles.set_feed_enabled(False)
        db.session.commit()
    html = home(client)
    # Earlier posts stay in the feed for those logged in, but the public page stops showing
    # awards: turning the feed off means awards are no longer broadcast.
    assert section(html, "recent-heading") == ""
    assert "received" not in html
    assert "Before" in section(html, "badges-heading")
    with app.app_context():
        profiles.set_feed_enabled(True)
        db.session.commit()
    assert "Before" in section(home(client), "recent-heading")
