"""Profiles, the feed and notifications."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from issuer import context
from issuer.auth.access import login_required, signed_in_user
from issuer.extensions import db
from issuer.models import User
from issuer.profiles import bp
from issuer.services import notifications as inbox
from issuer.services import profiles, progress


def init_app(app: Flask) -> None:
    """Give every page the signed-in user's unread notification count."""

    @app.context_processor
    def navigation() -> dict[str, Any]:
        user = signed_in_user()
        return {"nav_unread": inbox.unread_count(user.id) if user else 0}


@bp.get("/users/<uuid:user_id>")
def show_profile(user_id: uuid.UUID) -> str:
    """A person's badges, newest first, their progress in courses, and what they can still earn."""
    viewer = signed_in_user()
    profile = profiles.get_profile(user_id, viewer)
    return render_template(
        "profiles/profile.html",
        profile=profile,
        progress=progress.course_progress(user_id),
        viewer=viewer,
        account_actions=_account_actions,
        urls=context.urls(),
    )


def _account_actions(user: User) -> list[tuple[str, str]]:
    """What an admin can do to this account from its profile, as (action, label)."""
    actions = [("learner", "Make learner") if user.is_admin else ("admin", "Make admin")]
    if user.active:
        never_joined = user.password_hash is None
        actions.append(
            (
                "password",
                "Send the invitation again" if never_joined else "Send a password reset link",
            )
        )
        actions.append(("deactivate", "Deactivate account"))
    else:
        actions.append(("reactivate", "Reactivate account"))
    return actions


@bp.post("/awards/<uuid:assertion_id>/visibility")
@login_required
def set_visibility(assertion_id: uuid.UUID) -> BaseResponse:
    """Hide an award from one's public profile, or show it again."""
    user = signed_in_user()
    assert user is not None  # noqa: S101  (login_required)
    hidden = request.form.get("hidden") == "1"
    profiles.set_hidden(assertion_id, user, hidden)
    db.session.commit()
    flash(
        "The badge is hidden from your public profile; it stays valid."
        if hidden
        else "The badge shows on your profile again.",
        "info",
    )
    return redirect(request.referrer or url_for("profiles.show_profile", user_id=user.id))


@bp.get("/feed")
@login_required
def feed() -> str:
    """Who received which badge, newest first."""
    return render_template(
        "profiles/feed.html",
        entries=profiles.feed(),
        enabled=profiles.feed_enabled(),
        urls=context.urls(),
    )


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications() -> str | BaseResponse:
    """The signed-in user's notifications; a POST marks them (or one) as read."""
    user = signed_in_user()
    assert user is not None  # noqa: S101  (login_required)
    if request.method == "POST":
        chosen = request.form.get("notification")
        try:
            ids = [uuid.UUID(chosen)] if chosen else None
        except ValueError:
            abort(400, "unknown notification")
        inbox.mark_read(user.id, ids)
        db.session.commit()
        return redirect(url_for("profiles.notifications"))
    return render_template(
        "profiles/notifications.html",
        items=inbox.list_notifications(user.id),
        urls=context.urls(),
    )
