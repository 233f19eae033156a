"""The admin API's views: parse, call one service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, current_app, jsonify, request, url_for

from issuer import context
from issuer.api import bp
from issuer.api.drafts import badge_changes, badge_draft
from issuer.api.openapi import build_openapi
from issuer.api.parsing import (
    CSV_TYPES,
    Page,
    flag_arg,
    json_body,
    optional_datetime,
    page_args,
)
from issuer.api.serializers import (
    award_json,
    badge_json,
    csv_rows_json,
    issuer_json,
    user_json,
    verification_json,
)
from issuer.extensions import db
from issuer.openbadges.identity import InvalidEmailError, normalize_email
from issuer.services import awards, badges, csv_awards, exports, issuers, users, verification
from issuer.uploads import uploaded_image


def _created(body: dict[str, Any], location: str) -> Response:
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def _with_warnings(body: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    body["warnings"] = warnings
    return body


def _max_image_bytes() -> int:
    return int(current_app.config["MAX_IMAGE_BYTES"])


@bp.get("/openapi.json")
def get_openapi() -> Response:
    """Describe this API as OpenAPI 3.1."""
    return jsonify(build_openapi(context.schemas(), server=url_for("api.get_openapi")))


@bp.post("/issuers")
def create_issuer() -> Response:
    """Create an issuer."""
    body = json_body("issuer-create")
    result = issuers.create_issuer(
        issuers.IssuerDraft(
            name=body["name"],
            url=body["url"],
            email=body["email"],
            description=body.get("description"),
            image=body.get("image"),
        ),
        max_image_bytes=_max_image_bytes(),
    )
    db.session.commit()
    data = _with_warnings(issuer_json(result.issuer, context.urls()), result.warnings)
    return _created(data, url_for("api.get_issuer", issuer_id=result.issuer.id))


@bp.get("/issuers")
def list_issuers() -> Response:
    """List every issuer."""
    urls = context.urls()
    return jsonify({"issuers": [issuer_json(i, urls) for i in issuers.list_issuers()]})


@bp.get("/issuers/<uuid:issuer_id>")
def get_issuer(issuer_id: uuid.UUID) -> Response:
    """Show one issuer."""
    return jsonify(issuer_json(issuers.get_issuer(issuer_id), context.urls()))


@bp.post("/badges")
def create_badge() -> Response:
    """Create a badge class."""
    draft = badge_draft(json_body("badge-create"))
    result = badges.create_badge(draft, max_image_bytes=_max_image_bytes())
    db.session.commit()
    data = _with_warnings(badge_json(result.badge, context.urls(), 0), result.warnings)
    return _created(data, url_for("api.get_badge", badge_id=result.badge.id))


@bp.get("/badges")
def list_badges() -> Response:
    """List every badge class, private ones included, a page at a time."""
    page = page_args(default_size=100)
    found, total = badges.page_badges(offset=page.offset, limit=page.size)
    counts = badges.count_awards([b.id for b in found])
    urls = context.urls()
    listed = [badge_json(b, urls, counts.get(b.id, 0)) for b in found]
    return _page_response("badges", listed, page, total, "api.list_badges")


@bp.get("/badges/<uuid:badge_id>")
def get_badge(badge_id: uuid.UUID) -> Response:
    """Show one badge class."""
    badge = badges.get_badge(badge_id)
    count = badges.count_awards([badge.id]).get(badge.id, 0)
    return jsonify(badge_json(badge, context.urls(), count))


@bp.patch("/badges/<uuid:badge_id>")
def update_badge(badge_id: uuid.UUID) -> Response:
    """Change some fields of a badge class."""
    changes = badge_changes(json_body("badge-update"))
    result = badges.update_badge(badge_id, changes, max_image_bytes=_max_image_bytes())
    db.session.commit()
    count = badges.count_awards([badge_id]).get(badge_id, 0)
    return jsonify(_with_warnings(badge_json(result.badge, context.urls(), count), result.warnings))


@bp.post("/badges/<uuid:badge_id>/awards")
def award_badge(badge_id: uuid.UUID) -> Response:
    """Award a badge to up to 10,000 recipients in one all-or-nothing call (JSON or CSV)."""
    if request.mimetype in CSV_TYPES:
        return _award_csv(badge_id)
    body = json_body("award-create")
    outcome = awards.award_badge(
        badge_id,
        awards.AwardRequest(
            recipients=body["recipients"],
            narrative=body.get("narrative"),
            evidence=body.get("evidence", []),
            issued_on=optional_datetime(body.get("issued_on")),
            expires=optional_datetime(body.get("expires")),
            allow_duplicate=body.get("allow_duplicate", False),
            notify=body.get("notify", True),
            post_to_feed=body.get("post_to_feed", True),
        ),
        context.signer(),
    )
    db.session.commit()
    urls = context.urls()
    response = jsonify(
        {
            "awards": [award_json(a, urls) for a in outcome.awards],
            "created": outcome.created,
            "existing": outcome.existing,
        }
    )
    response.status_code = 201 if outcome.created else 200
    return response


def _award_csv(badge_id: uuid.UUID) -> Response:
    """A CSV file of recipients: ``?dry_run=1`` reports per row, otherwise all or nothing."""
    plan = csv_awards.plan_csv_award(badge_id, request.get_data(cache=False))
    if flag_arg("dry_run", False):
        return jsonify({"dry_run": True, "valid": not plan.error_count, **csv_rows_json(plan)})
    try:
        for _progress in csv_awards.award_csv(
            plan,
            context.signer(),
            notify=flag_arg("notify", True),
            post_to_feed=flag_arg("post_to_feed", True),
        ):
            pass
    except csv_awards.CsvRowsError as error:
        response = jsonify(
            {
                "error": "Bad Request",
                "message": error.message,
                "field": "file",
                **csv_rows_json(plan),
            }
        )
        response.status_code = 400
        return response
    db.session.commit()
    urls = context.urls()
    counts = plan.counts()
    distinct = [row.award for row in plan.rows if row.status != csv_awards.DUPLICATE and row.award]
    response = jsonify(
        {
            "awards": [award_json(a, urls) for a in distinct],
            "created": counts[csv_awards.NEW],
            "existing": counts[csv_awards.HELD],
            **csv_rows_json(plan),
        }
    )
    response.status_code = 201 if counts[csv_awards.NEW] else 200
    return response


@bp.get("/badges/<uuid:badge_id>/awards")
def list_awards(badge_id: uuid.UUID) -> Response:
    """List a badge's awards, newest first, a page at a time."""
    page = page_args()
    found, total = awards.list_awards(badge_id, offset=page.offset, limit=page.size)
    if exports.sign_pending(found, context.signer()):
        db.session.commit()
    listed = [award_json(a, context.urls()) for a in found]
    return _page_response("awards", listed, page, total, "api.list_awards", badge_id=badge_id)


@bp.get("/assertions/<uuid:assertion_id>")
def get_assertion(assertion_id: uuid.UUID) -> Response:
    """Show one award, with its signed form (made now if its batch left it for later)."""
    assertion = awards.get_assertion(assertion_id)
    if exports.sign_pending([assertion], context.signer()):
        db.session.commit()
    return jsonify(award_json(assertion, context.urls()))


@bp.post("/assertions/<uuid:assertion_id>/revoke")
def revoke_assertion(assertion_id: uuid.UUID) -> Response:
    """Revoke an award; its hosted document answers 410 from now on."""
    body = json_body("revoke")
    assertion = awards.revoke_assertion(
        assertion_id, body["reason"], context.urls(), notify=body.get("notify", True)
    )
    db.session.commit()
    return jsonify(award_json(assertion, context.urls()))


@bp.post("/users")
def create_user() -> Response:
    """Create a user (a learner unless role says admin)."""
    body = json_body("user-create")
    user = users.create_user(body["email"], body["name"], role=body.get("role", "learner"))
    db.session.commit()
    return _created(user_json(user), url_for("api.list_users", email=user.email))


@bp.get("/users")
def list_users() -> Response:
    """Find users: by ``?email=``, or all of them a page at a time."""
    email = _query_email()
    if email is not None:
        user = users.find_user_by_email(email)
        return jsonify({"users": [user_json(user)] if user else []})
    page = page_args()
    found, total = users.list_users(offset=page.offset, limit=page.size)
    return jsonify(
        {
            "users": [user_json(u) for u in found],
            "page": page.number,
            "per_page": page.size,
            "total": total,
        }
    )


def _page_response(
    key: str, items: list[Any], page: Page, total: int, endpoint: str, **view_args: Any
) -> Response:
    """A page of a listing, with the URL of the next page (None on the last one)."""
    has_next = page.offset + len(items) < total
    return jsonify(
        {
            key: items,
            "page": page.number,
            "per_page": page.size,
            "total": total,
            "next": url_for(endpoint, **view_args, page=page.number + 1, per_page=page.size)
            if has_next
            else None,
        }
    )


def _query_email() -> str | None:
    raw = request.args.get("email")
    if raw is None:
        return None
    try:
        return normalize_email(raw)
    except InvalidEmailError as error:
        abort(400, str(error))


@bp.post("/verify")
def verify() -> Response:
    """Check a badge: ``{"url": ...}``, ``{"jws": ...}``, ``{"credential": {...}}`` or a
    multipart ``image`` upload."""
    body = json_body("verify") if request.is_json else {}
    result = verification.verify_submission(
        url=body.get("url"),
        jws=body.get("jws"),
        credential=body.get("credential"),
        image=uploaded_image(),
        urls=context.urls(),
        trusted=context.trusted_keys(),
    )
    return jsonify(verification_json(result, context.urls()))
