"""The web app: logging in, the Studio, profiles, awarding by hand, the feed and the catalogue."""

from __future__ import annotations

import html
import io
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion, BadgeClass, OutboxEmail
from tests.integration.conftest import PASSWORD
from tests.support import SVG_150, ApiClient, csrf_token, log_in, png_bytes


def user_id(api: Any, email: str) -> str:
    """The public id of a user."""
    return str(api.get("/users", query_string={"email": email}).json["users"][0]["id"])


def new_badge(client: FlaskClient, **fields: Any) -> Any:
    """Submit the New badge form."""
    data = {
        "csrf_token": csrf_token(client, "/studio/badges/new"),
        "name": "Mentor",
        "description": "Helps others.",
        "criteria": "Mentor a newcomer.",
        "post_to_feed": "y",
        "image": (io.BytesIO(png_bytes()), "mentor.png"),
        **fields,
    }
    if "issuer" not in data:
        page = client.get("/studio/badges/new").get_data(as_text=True)
        data["issuer"] = re.findall(r'<option[^>]*value="([^"]+)"', page)[0]
    return client.post("/studio/badges/new", data=data, content_type="multipart/form-data")


def test_login_form_and_errors(client: FlaskClient, people: dict[str, str]) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert ">Email</label>" in page
    assert ">Password</label>" in page
    assert 'value="Log in"' in page
    wrong = log_in(client, people["learner"], "wrong")
    assert wrong.status_code == 400
    assert "wrong" in wrong.get_data(as_text=True)
    right = log_in(client, people["learner"], PASSWORD)
    assert right.status_code == 302
    assert right.headers["Location"] == "/feed"


def test_logout_needs_the_csrf_token(as_learner: FlaskClient) -> None:
    assert as_learner.post("/logout").status_code == 400
    token = csrf_token(as_learner, "/feed")
    assert as_learner.post("/logout", data={"csrf_token": token}).status_code == 302
    assert as_learner.get("/feed").status_code == 302


@pytest.mark.parametrize(
    "path", ["/studio/badges", "/studio/badges/new", "/studio/users", "/studio/settings"]
)
def test_studio_is_for_admins(
    client: FlaskClient,
    as_learner: FlaskClient,
    as_admin: FlaskClient,
    make_issuer: Any,
    path: str,
) -> None:
    make_issuer()
    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    assert as_learner.get(path).status_code == 403
    assert as_admin.get(path).status_code == 200


def test_no_issuer_yet_leads_to_the_issuer_form_and_back(as_admin: FlaskClient) -> None:
    response = as_admin.get("/studio/badges/new")
    assert response.status_code == 302
    detour = response.headers["Location"]
    assert detour == "/studio/issuers/new?then=new-badge"
    data = {
        "csrf_token": csrf_token(as_admin, detour),
        "name": "Academy",
        "url": "https://academy.example.org",
        "email": "badges@academy.example.org",
    }
    created = as_admin.post(detour, data=data)
    assert created.status_code == 302
    assert created.headers["Location"] == "/studio/badges/new"
    # Without the detour, a new issuer leads to the issuers.
    data["csrf_token"], data["name"] = csrf_token(as_admin, "/studio/issuers/new"), "Other"
    assert as_admin.post("/studio/issuers/new", data=data).headers["Location"] == (
        "/studio/issuers"
    )


def test_create_badge_in_the_studio(
    app: Flask, as_admin: FlaskClient, make_issuer: Callable[..., Any]
) -> None:
    make_issuer(name="Academy")
    page = as_admin.get("/studio/badges").get_data(as_text=True)
    assert ">New badge</a>" in page
    form = as_admin.get("/studio/badges/new").get_data(as_text=True)
    for label in ("Name", "Description", "Criteria", "Image", "Private", "Post awards to the feed"):
        assert f">{label}</label>" in form or f"> {label}</label>" in form, label
    assert "150x150" in form
    assert "can only be awarded manually" in form
    assert 'value="Create badge"' in form
    created = new_badge(as_admin, private="y", tags="a, b", expires_after_days="30")
    assert created.status_code == 302
    listing = as_admin.get("/studio/badges").get_data(as_text=True)
    assert "Mentor" in listing
    assert '<span class="marker">Private</span>' in listing
    with app.app_context():
        badge = db.session.scalars(select(BadgeClass)).one()
        assert (badge.private, badge.post_to_feed, badge.tags) == (True, True, ["a", "b"])
        assert badge.expires_after_days == 30


def test_svg_and_odd_sizes_in_the_studio(as_admin: FlaskClient, make_issuer: Any) -> None:
    make_issuer()
    svg = new_badge(as_admin, image=(io.BytesIO(SVG_150.encode()), "b.svg"))
    assert svg.status_code == 302
    wide = new_badge(as_admin, name="Wide", image=(io.BytesIO(png_bytes(300, 100)), "w.png"))
    assert wide.status_code == 302
    assert "so it is not square. A square image works best" in as_admin.get(
        "/studio/badges"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("image", "phrase"),
    [
        ((io.BytesIO(b"not an image"), "x.png"), "not a PNG or SVG"),
        ((io.BytesIO(png_bytes()[:100]), "x.png"), "The PNG file is damaged or incomplete"),
        (
            (io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'), "x.svg"),
            "event handler",
        ),
        ((io.BytesIO(b""), ""), "Choose an image file"),
    ],
)
def test_bad_images_are_refused_in_the_studio(
    app: Flask, as_admin: FlaskClient, make_issuer: Any, image: Any, phrase: str
) -> None:
    make_issuer()
    response = new_badge(as_admin, image=image)
    assert response.status_code == 400
    assert phrase in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BadgeClass)) == 0


def test_studio_forms_need_the_csrf_token(as_admin: FlaskClient, make_issuer: Any) -> None:
    make_issuer()
    response = new_badge(as_admin, csrf_token="forged")
    assert response.status_code == 400
    assert "This form could not be accepted" in response.get_data(as_text=True)
    assert "CSRF" in response.get_data(as_text=True)


def test_award_from_a_profile(
    app: Flask,
    api: Any,
    as_admin: FlaskClient,
    as_learner: FlaskClient,
    people: dict[str, str],
    make_badge: Any,
) -> None:
    issuer = api.post(
        "/issuers", {"name": "Guild", "url": "https://g.example", "email": "g@g.example"}
    ).json
    public = make_badge(issuer=issuer["id"], name="Explorer")
    private = make_badge(issuer=issuer["id"], name="Night Owl", private=True)
    archived = make_badge(issuer=issuer["id"], name="Retired")
    api.patch(f"/badges/{archived['id']}", {"archived": True})
    lea = user_id(api, people["learner"])
    profile = as_admin.get(f"/users/{lea}").get_data(as_text=True)
    assert ">Actions</summary>" in profile
    assert ">Award badge</a>" in profile
    form = as_admin.get(f"/studio/users/{lea}/award").get_data(as_text=True)
    assert "<strong>Explorer</strong>" in form and "<strong>Night Owl</strong>" in form
    assert '<span class="marker">Private</span>' in form  # Night Owl's
    assert '<span class="hint">Guild</span>' in form  # each badge's issuer
    assert 'id="badge-filter"' in form
    assert "Retired" not in form
    assert '<input checked id="notify" name="notify" type="checkbox"' in form
    assert '<input checked id="post_to_feed" name="post_to_feed" type="checkbox"' in form
    token = csrf_token(as_admin, f"/studio/users/{lea}/award")
    awarded = as_admin.post(
        f"/studio/users/{lea}/award",
        data={
            "csrf_token": token,
            "badges": [public["id"], private["id"]],
            "narrative": "Great work",
            "evidence_url": "https://example.org/work",
            "post_to_feed": "y",
        },
    )
    assert awarded.status_code == 302
    assert "Awarded 2 badges" in as_admin.get(awarded.headers["Location"]).get_data(as_text=True)
    # Held badges are marked and cannot be chosen again; the box was unticked: nobody told.
    again = as_admin.get(f"/studio/users/{lea}/award").get_data(as_text=True)
    assert again.count("Already held") == 2
    assert f'value="{public["id"]}" disabled' in again
    twice = as_admin.post(
        f"/studio/users/{lea}/award", data={"csrf_token": token, "badges": [public["id"]]}
    )
    assert twice.status_code == 302  # a form opened before: nothing is awarded twice
    told = as_admin.get(twice.headers["Location"]).get_data(as_text=True)
    assert "Awarded 0 badges" in told and "1 of the chosen badges" in told
    assert "Nothing new." in as_learner.get("/notifications").get_data(as_text=True)
    own = as_learner.get(f"/users/{lea}").get_data(as_text=True)
    assert "Explorer" in own and "Night Owl" in own
    feed = as_learner.get("/feed").get_data(as_text=True)
    assert "Explorer" in feed and "Night Owl" in feed
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assertion)) == 2
    otto = user_id(api, people["other"])
    other_profile = as_learner.get(f"/users/{otto}").get_data(as_text=True)
    achievable = other_profile.split("Achievable badges", 1)[1]
    assert "Explorer" in achievable
    assert "Night Owl" not in achievable
    assert "Retired" not in achievable
    catalogue = as_learner.get("/badges").get_data(as_text=True)
    assert "Explorer" in catalogue
    assert "Night Owl" not in catalogue and "Retired" not in catalogue
    issuer_page = as_learner.get(
        f"/public/issuers/{issuer['id']}", headers={"Accept": "text/html"}
    ).get_data(as_text=True)
    assert "Night Owl" not in issuer_page and "Retired" not in issuer_page


def test_archived_badge_takes_no_new_awards(api: Any, make_badge: Any) -> None:
    badge = make_badge()
    api.patch(f"/badges/{badge['id']}", {"archived": True})
    response = api.post(f"/badges/{badge['id']}/awards", {"recipients": ["a@example.org"]})
    assert response.status_code == 400
    assert "archived" in response.json["message"]


def test_feed_posts_follow_the_settings_at_award_time(
    as_admin: FlaskClient, as_learner: FlaskClient, make_badge: Any, award: Any, api: Any
) -> None:
    loud = make_badge(name="Loud")
    quiet = make_badge(name="Quiet", post_to_feed=False)
    award(loud["id"], "lea@example.org")
    award(quiet["id"], "lea@example.org")
    feed = as_learner.get("/feed").get_data(as_text=True)
    assert "Loud" in feed and "Quiet" not in feed
    # Off site-wide: new awards are not posted; the earlier post stays.
    token = csrf_token(as_admin, "/studio/settings")
    as_admin.post("/studio/settings", data={"csrf_token": token})
    award(make_badge(name="Whilst Off")["id"], "lea@example.org")
    feed = as_learner.get("/feed").get_data(as_text=True)
    assert "Loud" in feed and "Whilst Off" not in feed
    assert "New awards are not posted to the feed on this site any more." in feed
    # On again: awards from then on are posted, those made meanwhile are not.
    token = csrf_token(as_admin, "/studio/settings")
    as_admin.post("/studio/settings", data={"csrf_token": token, "feed_enabled": "y"})
    award(make_badge(name="Back On")["id"], "lea@example.org")
    feed = as_learner.get("/feed").get_data(as_text=True)
    assert "Back On" in feed and "Loud" in feed and "Whilst Off" not in feed
    # A badge set to post later does not post its earlier awards.
    assert api.patch(f"/badges/{quiet['id']}", {"post_to_feed": True}).status_code == 200
    assert "Quiet" not in as_learner.get("/feed").get_data(as_text=True)


def test_each_award_can_stay_out_of_the_feed(
    api: Any, as_learner: FlaskClient, make_badge: Any
) -> None:
    quiet, loud = make_badge(name="Quietly"), make_badge(name="Loudly")
    kept = api.post(
        f"/badges/{quiet['id']}/awards", {"recipients": ["lea@example.org"], "post_to_feed": False}
    )
    posted = api.post(f"/badges/{loud['id']}/awards", {"recipients": ["lea@example.org"]})
    assert (kept.json or {})["awards"][0]["in_feed"] is False
    assert (posted.json or {})["awards"][0]["in_feed"] is True
    feed = as_learner.get("/feed").get_data(as_text=True)
    assert "Loudly" in feed and "Quietly" not in feed
    # The award is no less an award: it is on the profile.
    lea = (posted.json or {})["awards"][0]["recipient_id"]
    assert "Quietly" in as_learner.get(f"/users/{lea}").get_data(as_text=True)
    wrong = api.post(
        f"/badges/{quiet['id']}/awards", {"recipients": ["bo@example.org"], "post_to_feed": "no"}
    )
    assert wrong.status_code == 400 and "post_to_feed" in (wrong.json or {})["message"]


def test_revoke_from_the_profile(
    app: Any,
    api: Any,
    as_admin: FlaskClient,
    as_learner: FlaskClient,
    make_badge: Any,
    award: Any,
    people: dict[str, str],
    client: FlaskClient,
) -> None:
    badge = make_badge(name="Sprinter")
    assertion = award(badge["id"], people["learner"])["awards"][0]
    lea = user_id(api, people["learner"])
    confirm = f"/studio/assertions/{assertion['id']}/revoke"
    profile = as_admin.get(f"/users/{lea}").get_data(as_text=True)
    assert f'href="{confirm}"' in profile  # a link to the confirm step, no inline form
    assert 'name="reason"' not in profile
    page = as_admin.get(confirm).get_data(as_text=True)
    assert "Revoke this award?" in page and "Sprinter" in page and "cannot be undone" in page
    token = csrf_token(as_admin, confirm)

    refused = as_admin.post(confirm, data={"csrf_token": token, "reason": "  "})
    assert refused.status_code == 400
    assert "Say why" in refused.get_data(as_text=True)
    assert client.get(f"/public/assertions/{assertion['id']}").status_code == 200

    response = as_admin.post(confirm, data={"csrf_token": token, "reason": "Wrong person"})
    assert response.status_code == 302
    assert (
        "Sprinter"
        not in as_learner.get(f"/users/{lea}").get_data(as_text=True).split("Achievable badges")[0]
    )
    assert "Sprinter" not in as_learner.get("/feed").get_data(as_text=True)
    assert client.get(f"/public/assertions/{assertion['id']}").status_code == 410
    # The learner is told why, in the platform and by e-mail; the first notice says so too.
    notices = as_learner.get("/notifications").get_data(as_text=True)
    assert "revoked your badge “Sprinter”: Wrong person" in notices
    assert "Revoked since, on" in notices
    with app.app_context():
        mails = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.to_address == people["learner"])
        ).all()
    (told,) = [m for m in mails if "revoked" in m.subject]
    assert told.subject == "Your badge “Sprinter” was revoked"
    assert "Reason: Wrong person" in told.body_text
    # Once revoked, the confirm step says so instead of asking again.
    again = as_admin.get(confirm)
    assert again.status_code == 302


def test_revoking_through_the_api_may_stay_silent(
    app: Any, api: Any, make_badge: Any, award: Any, people: dict[str, str]
) -> None:
    made = award(make_badge()["id"], people["learner"], "quiet@example.org")["awards"]
    api.post(f"/assertions/{made[0]['id']}/revoke", {"reason": "Told in person", "notify": False})
    api.post(f"/assertions/{made[1]['id']}/revoke", {"reason": "Duplicate"})
    with app.app_context():
        subjects = db.session.scalars(select(OutboxEmail.subject)).all()
    assert sum("revoked" in subject for subject in subjects) == 1


def test_learner_hides_an_award(
    api: Any,
    as_learner: FlaskClient,
    make_badge: Any,
    award: Any,
    people: dict[str, str],
    client: FlaskClient,
) -> None:
    badge = make_badge(name="Shy")
    assertion = award(badge["id"], people["learner"])["awards"][0]
    lea = user_id(api, people["learner"])
    token = csrf_token(as_learner, f"/users/{lea}")
    as_learner.post(
        f"/awards/{assertion['id']}/visibility", data={"csrf_token": token, "hidden": "1"}
    )
    assert "Shy" in as_learner.get(f"/users/{lea}").get_data(
        as_text=True
    )  # the owner still sees it
    public = client.get(f"/users/{lea}").get_data(as_text=True).split("Achievable badges")[0]
    assert "Shy" not in public
    assert client.get(f"/public/assertions/{assertion['id']}").status_code == 200


FORMATS = [
    "Open Badges 3.0 credential (JSON-LD)",
    "Open Badges 3.0 credential (VC-JWT)",
    "Open Badges 3.0 image (VC-JWT)",
    "Open Badges 2.0 image",
    "Open Badges 2.0 signed image",
    "Signed assertion (JWS)",
    "Hosted JSON",
]


def award_page(client: FlaskClient, assertion: dict[str, Any]) -> str:
    """An award's page, as a browser asks for it."""
    response = client.get(f"/public/assertions/{assertion['id']}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def links_to_files(page: str) -> list[str]:
    """The addresses of the page's links that download a file."""
    return re.findall(r'<a [^>]*href="([^"]+)"[^>]*\bdownload\b', page)


def test_award_page_gives_its_owner_the_main_actions_first(
    as_learner: FlaskClient, make_badge: Any, award: Any, people: dict[str, str]
) -> None:
    badge = make_badge(name="Explorer & Co")
    assertion = award(badge["id"], people["learner"])["awards"][0]
    page = award_page(as_learner, assertion)
    assert '<meta property="og:title" content="Explorer &amp; Co">' in page
    assert "/static/js/copy-url.js" in page
    # The main actions, in this order, before the other formats.
    main = [
        'id="add-to-wallet"',
        ">Add to LinkedIn profile</a>",
        ">Download image</a>",
        ">Share on LinkedIn</a>",
        ">Share on X</a>",
        ">Share on Facebook</a>",
        ">Share by e-mail</a>",
        ">Copy badge URL</button>",
        "<summary>Other formats</summary>",
        ">Hide from my profile</button>",
    ]
    places = [page.index(marker) for marker in main]
    assert places == sorted(places)
    # The main image is the Data Integrity one, the form wallets import; the others are all
    # behind the disclosure, closed until opened, each with one line on who reads it.
    image = f"/public/assertions/{assertion['id']}/image"
    assert re.search(rf'href="[^"]*{image}\?format=ob3-di" download>Download image<', page)
    formats = page.split("<summary>Other formats</summary>")[1].split("</details>")[0]
    assert '<details class="formats">' in page and '<details class="formats" open' not in page
    for name in FORMATS:
        line = re.search(rf">{re.escape(name)}</a>\s*<span class=\"hint\">([^<]+)</span>", formats)
        assert line is not None, name
    assert "Badgr" in formats and "JSON Web Tokens" in formats
    assert len(links_to_files(formats)) == len(FORMATS)
    assert len(links_to_files(page)) == len(FORMATS) + 1  # and Download image
    linkedin = re.search(r'href="(https://www.linkedin.com/profile/add\?[^"]+)"', page)
    assert linkedin is not None
    link = linkedin.group(1).replace("&amp;", "&")
    assert "name=Explorer+%26+Co" in link and "organizationName=Example+Academy" in link
    assert f"certId={assertion['id']}" in link and "issueYear=" in link and "issueMonth=" in link


def test_award_page_share_links_carry_the_escaped_award_url(
    as_learner: FlaskClient, make_badge: Any, award: Any, people: dict[str, str]
) -> None:
    badge = make_badge(name='Tom & "Jerry"')
    assertion = award(badge["id"], people["learner"])["awards"][0]
    page = award_page(as_learner, assertion)
    url = assertion["openBadgeId"]
    quoted = urllib.parse.quote(url, safe="")
    shares = {
        "Share on LinkedIn": f"https://www.linkedin.com/sharing/share-offsite/?url={quoted}",
        "Share on Facebook": f"https://www.facebook.com/sharer/sharer.php?u={quoted}",
    }
    for name, href in shares.items():
        assert f'href="{href}" rel="noopener" target="_blank">{name}</a>' in page
    tweet = re.search(r'href="(https://twitter.com/intent/tweet\?[^"]+)"', page)
    assert tweet is not None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(html.unescape(tweet.group(1))).query)
    assert query["url"] == [url]
    assert query["text"] == ['I earned the badge “Tom & "Jerry"” from Example Academy.']
    mail = re.search(r'href="(mailto:\?[^"]+)"', page)
    assert mail is not None
    raw = html.unescape(mail.group(1))
    assert "+" not in raw and " " not in raw  # mail programs read %20 as a space, not "+"
    fields = urllib.parse.parse_qs(raw.removeprefix("mailto:?"))
    assert fields["subject"] == ['My badge: Tom & "Jerry"']
    assert fields["body"] == [f'I earned the badge “Tom & "Jerry"” from Example Academy. {url}']
    assert f'data-url="{url}"' in page  # Copy badge URL
    # The Open Graph preview those sites show.
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:title" content="Tom &amp; &#34;Jerry&#34;">' in page


@pytest.mark.parametrize("who", ["anonymous", "other learner", "admin"])
def test_award_page_shows_visitors_the_record_and_no_downloads(
    client: FlaskClient, make_badge: Any, award: Any, people: dict[str, str], who: str
) -> None:
    badge = make_badge(
        name="Explorer",
        criteria={"narrative": "Map <three> caves.", "url": "https://example.org/criteria"},
    )
    evidence = "https://portfolio.example.org/" + "x" * 150
    assertion = award(
        badge["id"],
        people["learner"],
        narrative="Mapped four.",
        evidence=[{"url": evidence, "name": "Cave maps", "narrative": "Drawn by hand."}],
    )["awards"][0]
    email = {"anonymous": None, "other learner": people["other"], "admin": people["admin"]}[who]
    if email is not None:
        assert log_in(client, email, PASSWORD).status_code == 302
    page = award_page(client, assertion)
    assert "Awarded to <strong>Lea Learner</strong>" in page
    assert "<dt>Issued on</dt>" in page
    assert '<span class="status status-valid">Valid</span>' in page
    assert "<h2>Criteria</h2>" in page and "Map &lt;three&gt; caves." in page
    assert 'href="https://example.org/criteria"' in page
    assert "<h2>Evidence</h2>" in page and "Drawn by hand." in page
    assert f'<a href="{evidence}" rel="nofollow noopener">Cave maps</a>' in page
    verify = f"/verify?url={assertion['openBadgeId']}"
    assert f'href="{verify}">Verify</a>' in page
    prefilled = client.get(verify).get_data(as_text=True)
    assert re.search(rf'id="url" name="url"[^>]* value="{assertion["openBadgeId"]}"', prefilled)
    # Nothing to download and none of the owner's actions.
    assert links_to_files(page) == []
    for owner_only in [
        "add-to-wallet",
        "Add to LinkedIn profile",
        "Download",
        "Other formats",
        "Share on",
        "Copy badge URL",
        "copy-url.js",
        "Hide from my profile",
        "format=ob3",
    ]:
        assert owner_only not in page, owner_only
    # Admins keep the way to revoke it.
    assert ("Revoke…" in page) is (who == "admin")


def test_award_page_of_a_revoked_award_offers_nothing_to_take(
    as_learner: FlaskClient, api: Any, make_badge: Any, award: Any, people: dict[str, str]
) -> None:
    assertion = award(make_badge()["id"], people["learner"])["awards"][0]
    api.post(f"/assertions/{assertion['id']}/revoke", {"reason": "Mistake"})
    response = as_learner.get(
        f"/public/assertions/{assertion['id']}", headers={"Accept": "text/html"}
    )
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "status-revoked" in page and "Mistake" in page
    assert links_to_files(page) == []
    assert "add-to-wallet" not in page and "Share on" not in page and "Other formats" not in page
    assert f'href="/verify?url={assertion["openBadgeId"]}">Verify</a>' in page


def test_user_directory_search(as_admin: FlaskClient, people: dict[str, str]) -> None:
    page = as_admin.get("/studio/users?q=lea").get_data(as_text=True)
    assert "Lea Learner" in page and "Otto Other" not in page
    assert "Otto Other" in as_admin.get("/studio/users?q=OTTO@").get_data(as_text=True)
    assert "Nobody matches" in as_admin.get("/studio/users?q=%25").get_data(as_text=True)


def test_user_supplied_text_is_escaped_everywhere(
    api: Any,
    as_admin: FlaskClient,
    as_learner: FlaskClient,
    make_issuer: Any,
    make_badge: Any,
    award: Any,
    people: dict[str, str],
) -> None:
    evil = '<script>alert("x")</script>'
    issuer = make_issuer(name=evil)
    badge = make_badge(issuer=issuer["id"], name=evil, description=evil)
    award(badge["id"], people["learner"], narrative=evil)
    lea = user_id(api, people["learner"])
    pages = [
        "/studio/badges",
        f"/users/{lea}",
        "/feed",
        "/badges",
        "/notifications",
        f"/studio/users/{lea}/award",
        "/studio/users?q=" + evil,
    ]
    for path in pages:
        client = as_learner if path in ("/notifications", "/feed") else as_admin
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;" in html, path


def test_editing_keeps_criteria_text_and_page(
    app: Flask, as_admin: FlaskClient, make_badge: Any
) -> None:
    badge = make_badge(criteria={"narrative": "Do it", "url": "https://example.org/c"})
    path = f"/studio/badges/{badge['id']}/edit"
    form = as_admin.get(path).get_data(as_text=True)
    assert "Do it</textarea>" in form and 'value="https://example.org/c"' in form
    response = as_admin.post(
        path,
        data={
            "csrf_token": csrf_token(as_admin, path),
            "issuer": badge["issuer"],
            "name": "Renamed",
            "description": "D",
            "criteria": "Do it",
            "criteria_url": "https://example.org/c",
            "post_to_feed": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(BadgeClass)).one()
        assert (stored.name, stored.criteria_narrative, stored.criteria_url) == (
            "Renamed",
            "Do it",
            "https://example.org/c",
        )
    empty = as_admin.post(
        path,
        data={
            "csrf_token": csrf_token(as_admin, path),
            "issuer": badge["issuer"],
            "name": "X",
            "description": "D",
            "criteria": "  ",
        },
    )
    assert empty.status_code == 400
    assert "what earns the badge" in empty.get_data(as_text=True)


def test_editing_saves_the_form_and_keeps_what_it_does_not_show(
    api: ApiClient, as_admin: FlaskClient, make_badge: Any
) -> None:
    alignment = [{"targetName": "Teamwork", "targetUrl": "https://example.org/teamwork"}]
    badge = make_badge(expires_after_days=30, tags=["old"], alignment=alignment)
    path = f"/studio/badges/{badge['id']}/archive"
    archived = as_admin.post(path, data={"csrf_token": csrf_token(as_admin, "/studio/badges")})
    assert archived.status_code == 302
    assert (api.get(f"/badges/{badge['id']}").json or {})["archived"] is True
    path = f"/studio/badges/{badge['id']}/edit"
    response = as_admin.post(
        path,
        data={
            "csrf_token": csrf_token(as_admin, path),
            "issuer": badge["issuer"],
            "name": " Renamed ",
            "description": "D",
            "criteria": "Do it",
            "tags": "new, , other,new",
            "expires_after_days": "",
        },
    )
    assert response.status_code == 302
    stored = api.get(f"/badges/{badge['id']}").json or {}
    assert (stored["name"], stored["tags"], stored["expires_after_days"]) == (
        "Renamed",
        ["new", "other"],
        None,
    )
    assert (stored["private"], stored["post_to_feed"]) == (False, False)  # unticked boxes
    # Not on the form, so not changed by it.
    assert (stored["alignment"], stored["archived"], stored["image"]) == (
        alignment,
        True,
        badge["image"],
    )
    path = f"/studio/badges/{badge['id']}/archive"
    restored = as_admin.post(
        path, data={"csrf_token": csrf_token(as_admin, "/studio/badges"), "archived": "0"}
    )
    assert restored.status_code == 302
    assert (api.get(f"/badges/{badge['id']}").json or {})["archived"] is False


def test_the_studio_navigation_says_where_you_are(as_admin: FlaskClient) -> None:
    for path, label in (
        ("/studio/badges", "Badges"),
        ("/studio/users", "People"),
        ("/studio/users/invite", "People"),
        ("/studio/settings", "Settings"),
    ):
        page = as_admin.get(path).get_data(as_text=True)
        marked = re.findall(r'aria-current="page" class="here">([^<]+)</a>', page)
        assert marked == [label], (path, marked)


def test_settings_say_what_turning_the_feed_off_does(as_admin: FlaskClient) -> None:
    page = as_admin.get("/studio/settings").get_data(as_text=True)
    assert "new awards are no longer posted to the feed" in page
    assert "Awards posted before stay in it" in page
    assert "those made while it was off are not" in page
