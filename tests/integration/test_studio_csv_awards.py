"""Studio > Badges > Award from CSV: upload, preview, award once, with progress for scripts."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion, CsvUpload, Notification
from tests.support import csrf_token

MakeBadge = Callable[..., dict[str, Any]]


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def upload(client: FlaskClient, badge_id: str, text: str, name: str = "people.csv") -> Any:
    """Submit the upload form with a CSV file."""
    path = f"/studio/badges/{badge_id}/award-csv"
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "file": (io.BytesIO(text.encode("utf-8")), name),
        },
        content_type="multipart/form-data",
    )


def confirm(client: FlaskClient, preview: str, *, notify: bool = True, **kwargs: Any) -> Any:
    """Submit the preview page's Award form."""
    data = {"csrf_token": csrf_token(client, preview)}
    if notify:
        data["notify"] = "y"
    return client.post(preview, data=data, **kwargs)


@pytest.fixture
def badge(make_badge: MakeBadge) -> dict[str, Any]:
    """A public badge to award."""
    return make_badge(name="Hackathon")


def test_upload_preview_and_award(
    app: Flask,
    as_admin: FlaskClient,
    badge: dict[str, Any],
    award: Any,
) -> None:
    award(badge["id"], "held@example.org")
    text = 'email;name\nada@example.org;"Lovelace; Ada"\nheld@example.org;\nADA@example.org;\n'
    response = upload(as_admin, badge["id"], text)
    assert response.status_code == 302
    preview = response.headers["Location"]
    page = as_admin.get(preview).text
    assert "3 rows:" in page and "<strong>1</strong> new awards" in page
    assert "1 already held" in page and "1 repeated addresses" in page
    assert "Award 1 new badge</button>" in page
    assert count(app, Assertion) == 1  # the preview awards nothing

    done = confirm(as_admin, preview)
    assert done.status_code == 302 and done.headers["Location"] == preview
    result = as_admin.get(preview).text
    assert "Awarded “Hackathon” from people.csv: 1 new, 1 already held, 1 repeated rows." in result
    assert 'id="csv-award"' not in result
    assert count(app, Assertion) == 2
    assert count(app, Notification) == 2  # the hand award and the new one

    again = confirm(as_admin, preview)
    assert again.status_code == 302
    assert count(app, Assertion) == 2  # a file is awarded once


def test_a_file_with_errors_cannot_be_awarded(
    app: Flask,
    as_admin: FlaskClient,
    badge: dict[str, Any],
) -> None:
    text = (
        "email,issued_on\nada@example.org,2026-01-01\nnot-an-email,\nbob@example.org,01/02/2026\n"
    )
    preview = upload(as_admin, badge["id"], text).headers["Location"]
    page = as_admin.get(preview).text
    assert "<strong>2</strong> with errors" in page
    assert "Nothing can be awarded until every error is fixed" in page
    assert "is not a valid e-mail address" in page and "&#39;01/02/2026&#39; is not a date" in page
    assert 'id="csv-award"' not in page
    response = confirm(as_admin, preview)
    assert response.status_code == 302
    assert "nothing was awarded" in as_admin.get(preview).text
    assert count(app, Assertion) == 0


def test_unreadable_files_are_refused_at_upload(
    app: Flask,
    as_admin: FlaskClient,
    badge: dict[str, Any],
) -> None:
    response = upload(as_admin, badge["id"], "name\nAda\n")
    assert response.status_code == 400
    assert "The first line of the file must name the columns" in response.text
    assert count(app, CsvUpload) == 0


def test_progress_is_streamed_to_scripts(
    app: Flask,
    as_admin: FlaskClient,
    badge: dict[str, Any],
) -> None:
    text = "email\n" + "".join(f"p{i}@example.org\n" for i in range(1_200))
    preview = upload(as_admin, badge["id"], text).headers["Location"]
    response = confirm(as_admin, preview, headers={"Accept": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    events = [json.loads(line) for line in response.text.splitlines()]
    assert events[0] == {"phase": "checking"}
    assert [(e["done"], e["total"]) for e in events[1:-1]] == [
        (500, 1200),
        (1000, 1200),
        (1200, 1200),
    ]
    assert events[-1] == {"phase": "done", "redirect": preview}
    assert count(app, Assertion) == 1_200


def test_html_is_escaped_and_learners_are_kept_out(
    as_admin: FlaskClient,
    as_learner: FlaskClient,
    badge: dict[str, Any],
) -> None:
    preview = upload(
        as_admin, badge["id"], "email\n<script>alert(1)</script>@x.org\n", "<b>x</b>.csv"
    ).headers["Location"]
    page = as_admin.get(preview).text
    assert "<script>alert(1)" not in page and "&lt;b&gt;x&lt;/b&gt;.csv" in page
    assert as_learner.get(preview).status_code in (302, 403)
    assert as_learner.get(f"/studio/badges/{badge['id']}/award-csv").status_code in (302, 403)


def test_posting_without_csrf_is_refused(
    app: Flask,
    as_admin: FlaskClient,
    badge: dict[str, Any],
) -> None:
    preview = upload(as_admin, badge["id"], "email\nada@example.org\n").headers["Location"]
    assert as_admin.post(preview, data={"notify": "y"}).status_code == 400
    assert count(app, Assertion) == 0
    link = re.search(r"award-csv/([0-9a-f-]{36})", preview)
    assert link is not None
    other = "00000000-0000-4000-8000-000000000000"
    assert as_admin.get(f"/studio/badges/{other}/award-csv/{link.group(1)}").status_code == 404
