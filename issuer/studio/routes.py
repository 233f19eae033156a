"""The Studio: badges, issuers, the people directory, awarding by hand and site settings."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from issuer import context
from issuer.auth.access import admin_required, signed_in_user
from issuer.extensions import db
from issuer.ids import parse_id
from issuer.openbadges.images import RECOMMENDED_SIZE, size_warning_texts
from issuer.services import accounts, awards, badges, hosted, issuers, profiles
from issuer.services.changes import UNSET
from issuer.services.errors import ServiceError
from issuer.services.users import get_user
from issuer.studio import bp
from issuer.studio.forms import (
    IMAGE_HINT,
    PRIVATE_HINT,
    AccountActionForm,
    AwardForm,
    BadgeForm,
    InviteForm,
    IssuerForm,
    RevokeForm,
    SettingsForm,
)
from issuer.uploads import uploaded_image

Page = Response | BaseResponse | tuple[str, int]


@bp.get("/badges")
@admin_required
def list_badges() -> str:
    """Studio > Badges: every badge, private and archived ones included."""
    found = badges.list_badges(include_private=True)
    counts = badges.count_awards([badge.id for badge in found])
    return render_template("studio/badges.html", badges=found, counts=counts, urls=context.urls())


@bp.route("/badges/new", methods=["GET", "POST"])
@admin_required
def new_badge() -> Page:
    """The New badge form."""
    form = BadgeForm()
    form.issuer.choices = _issuer_choices()
    if not form.issuer.choices:
        flash("Create an issuer first: badges are awarded in an issuer's name.", "info")
        return redirect(url_for("studio.new_issuer", then="new-badge"))
    if form.validate_on_submit():
        image = uploaded_image()
        if image is None:
            form.image.errors.append("Choose an image file (PNG or SVG).")
        else:
            try:
                result = badges.create_badge(
                    _badge_draft(form, image), max_image_bytes=_max_image_bytes()
                )
            except ServiceError as error:
                _show_error(form, error)
            else:
                db.session.commit()
                _flash_saved(f"Badge “{result.badge.name}” created.", result.warnings)
                return redirect(url_for("studio.list_badges"))
    return _form_page("studio/badge_form.html", form, title="New badge")


@bp.route("/badges/<uuid:badge_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_badge(badge_id: uuid.UUID) -> Page:
    """Change a badge; the awards already made keep pointing at it."""
    badge = badges.get_badge(badge_id)
    form = BadgeForm(obj=badge if request.method == "GET" else None)
    form.issuer.choices = [(str(badge.issuer_id), badge.issuer.name)]
    form.submit.label.text = "Save changes"
    if request.method == "GET":
        form.issuer.data = str(badge.issuer_id)
        form.criteria.data = badge.criteria_narrative or ""
        form.criteria_url.data = badge.criteria_url or ""
        form.tags.data = ", ".join(badge.tags)
    if form.validate_on_submit():
        changes = _badge_changes(form, uploaded_image())
        try:
            result = badges.update_badge(badge_id, changes, max_image_bytes=_max_image_bytes())
        except ServiceError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            _flash_saved(f"Badge “{result.badge.name}” saved.", result.warnings)
            return redirect(url_for("studio.list_badges"))
    return _form_page("studio/badge_form.html", form, title=f"Edit {badge.name}", badge=badge)


@bp.post("/badges/<uuid:badge_id>/archive")
@admin_required
def archive_badge(badge_id: uuid.UUID) -> BaseResponse:
    """Archive a badge (no new awards) or bring it back."""
    archived = request.form.get("archived", "1") == "1"
    result = badges.update_badge(
        badge_id, badges.BadgeChanges(archived=archived), max_image_bytes=0
    )
    db.session.commit()
    state = "archived: it takes no new awards" if archived else "active again"
    flash(f"Badge “{result.badge.name}” is {state}.", "info")
    return redirect(url_for("studio.list_badges"))


@bp.get("/issuers")
@admin_required
def list_issuers() -> str:
    """The issuers badges are awarded in the name of."""
    return render_template(
        "studio/issuers.html", issuers=issuers.list_issuers(), urls=context.urls()
    )


@bp.route("/issuers/new", methods=["GET", "POST"])
@admin_required
def new_issuer() -> Page:
    """Create an issuer."""
    form = IssuerForm()
    if form.validate_on_submit():
        draft = issuers.IssuerDraft(
            name=form.name.data,
            url=form.url.data,
            email=form.email.data,
            description=form.description.data or None,
            image=uploaded_image(),
        )
        try:
            result = issuers.create_issuer(draft, max_image_bytes=_max_image_bytes())
        except ServiceError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            _flash_saved(f"Issuer “{result.issuer.name}” created.", result.warnings)
            # Sent here by New badge: back to it, with the new issuer to choose.
            if request.args.get("then") == "new-badge":
                return redirect(url_for("studio.new_badge"))
            return redirect(url_for("studio.list_issuers"))
    return _form_page("studio/issuer_form.html", form, title="New issuer")


PEOPLE_PAGE = 50


@bp.get("/users")
@admin_required
def list_users() -> str:
    """Studio > People: everyone, by name, a page at a time; search by name or e-mail."""
    query = request.args.get("q", "")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    people, more = profiles.search_users(query, offset=(page - 1) * PEOPLE_PAGE, limit=PEOPLE_PAGE)
    return render_template("studio/users.html", users=people, query=query, page=page, more=more)


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_required
def invite_person() -> Page:
    """Invite person: an account, and an e-mail with a link to set its password."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = accounts.invite_person(
                form.name.data,
                form.email.data,
                form.role.data,
                context.urls(),
                context.account_key(),
            )
        except ServiceError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(
                f"Invited {user.name}: an e-mail with a link to set a password is on its way.",
                "info",
            )
            return redirect(url_for("profiles.show_profile", user_id=user.id))
    return _form_page("studio/invite.html", form, title="Invite person")


@bp.post("/users/<uuid:user_id>/account")
@admin_required
def change_account(user_id: uuid.UUID) -> BaseResponse:
    """A profile's account actions: role, deactivation, a new password link."""
    form = AccountActionForm()
    acting = signed_in_user()
    if not form.validate_on_submit() or acting is None:
        flash("That action could not be read; try again from the profile.", "error")
        return redirect(url_for("profiles.show_profile", user_id=user_id))
    action = form.action.data
    try:
        if action in ("admin", "learner"):
            user = accounts.set_role(user_id, action, acting)
            message = f"{user.name} is now {'an admin' if action == 'admin' else 'a learner'}."
        elif action in ("deactivate", "reactivate"):
            user = accounts.set_active(user_id, action == "reactivate", acting)
            message = (
                f"{user.name}'s account is active again."
                if user.active
                else f"{user.name}'s account is deactivated: no log-in, no API tokens; their "
                "badges stay valid."
            )
        else:
            user = accounts.send_password_link(user_id, context.urls(), context.account_key())
            message = f"An e-mail with a link to set a password is on its way to {user.email}."
    except ServiceError as error:
        flash(error.message[:1].upper() + error.message[1:] + ".", "error")
        return redirect(url_for("profiles.show_profile", user_id=user_id))
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("profiles.show_profile", user_id=user.id))


@bp.route("/users/<uuid:user_id>/award", methods=["GET", "POST"])
@admin_required
def award_badges(user_id: uuid.UUID) -> Page:
    """Actions > Award badge: give one person several badges at once."""
    user = get_user(user_id)
    form = AwardForm()
    held = awards.held_badge_ids(user.id)
    active = [b for b in badges.list_badges(include_private=True) if not b.archived]
    # A badge the person holds is shown marked and cannot be ticked; if it comes anyway (it
    # was awarded meanwhile), the service awards it no second time and the message says so.
    form.badges.choices = [(str(b.id), b.name) for b in active]
    if form.validate_on_submit():
        evidence = [{"url": form.evidence_url.data}] if form.evidence_url.data else []
        try:
            made = [
                awards.award_badge(
                    uuid.UUID(badge_id),
                    awards.AwardRequest(
                        recipients=[user.email],
                        narrative=form.narrative.data or None,
                        evidence=evidence,
                        notify=bool(form.notify.data),
                        post_to_feed=bool(form.post_to_feed.data),
                    ),
                    context.signer(),
                )
                for badge_id in form.badges.data
            ]
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            created = sum(outcome.created for outcome in made)
            already = sum(outcome.existing for outcome in made)
            message = f"Awarded {created} badge{'s' if created != 1 else ''} to {user.name}."
            if already:
                message += f" {already} of the chosen badges {user.name} already held."
            flash(message, "info")
            return redirect(url_for("profiles.show_profile", user_id=user.id))
    return _form_page(
        "studio/award_form.html",
        form,
        title="Award badge",
        user=user,
        badges=active,
        held=held,
        chosen=set(form.badges.data or ()),
        urls=context.urls(),
        feed_on=profiles.feed_enabled(),
    )


@bp.route("/assertions/<uuid:assertion_id>/revoke", methods=["GET", "POST"])
@admin_required
def revoke_award(assertion_id: uuid.UUID) -> Page:
    """Revoke an award, after a confirmation that shows it and asks for the reason."""
    assertion = hosted.get_assertion_for_page(assertion_id)
    if assertion.revoked:
        flash(f"The award of “{assertion.badge.name}” was revoked already.", "info")
        return redirect(url_for("profiles.show_profile", user_id=assertion.recipient_id))
    form = RevokeForm()
    if form.validate_on_submit():
        awards.revoke_assertion(assertion_id, form.reason.data, context.urls())
        db.session.commit()
        flash(
            f"The award of “{assertion.badge.name}” to {assertion.recipient.name} was revoked; "
            "they were told why.",
            "info",
        )
        return redirect(url_for("profiles.show_profile", user_id=assertion.recipient_id))
    return _form_page(
        "studio/revoke.html", form, title="Revoke award", assertion=assertion, urls=context.urls()
    )


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings() -> Page:
    """Site settings: whether awards are posted to the feed."""
    form = SettingsForm()
    if request.method == "GET":
        form.feed_enabled.data = profiles.feed_enabled()
    if form.validate_on_submit():
        profiles.set_feed_enabled(bool(form.feed_enabled.data))
        db.session.commit()
        flash("Settings saved.", "info")
        return redirect(url_for("studio.settings"))
    return _form_page("studio/settings.html", form, title="Settings")


def _badge_draft(form: BadgeForm, image: bytes) -> badges.BadgeDraft:
    """A new badge from the New badge form and its uploaded image."""
    return badges.BadgeDraft(
        issuer_id=parse_id(form.issuer.data, "issuer"),
        name=form.name.data,
        description=form.description.data,
        image=image,
        criteria=_criteria(form),
        private=bool(form.private.data),
        post_to_feed=bool(form.post_to_feed.data),
        tags=_tags(form),
        expires_after_days=form.expires_after_days.data,
    )


def _badge_changes(form: BadgeForm, image: bytes | None) -> badges.BadgeChanges:
    """The edit form saves every field it shows; the image only when a new one was chosen."""
    return badges.BadgeChanges(
        name=form.name.data,
        description=form.description.data,
        image=UNSET if image is None else image,
        criteria=_criteria(form),
        private=bool(form.private.data),
        post_to_feed=bool(form.post_to_feed.data),
        tags=_tags(form),
        # An emptied field removes the default validity.
        expires_after_days=form.expires_after_days.data,
    )


def _criteria(form: BadgeForm) -> badges.Criteria:
    return badges.Criteria(
        narrative=(form.criteria.data or "").strip() or None, url=form.criteria_url.data or None
    )


def _tags(form: BadgeForm) -> list[str]:
    return [tag.strip() for tag in (form.tags.data or "").split(",") if tag.strip()]


def _issuer_choices() -> list[tuple[str, str]]:
    return [(str(issuer.id), issuer.name) for issuer in issuers.list_issuers()]


def _max_image_bytes() -> int:
    return int(current_app.config["MAX_IMAGE_BYTES"])


def _show_error(form: Any, error: ServiceError) -> None:
    db.session.rollback()
    target = getattr(form, error.field or "", None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message.removeprefix(f"{error.field}: ")]
    else:
        flash(error.message, "error")


def _flash_saved(message: str, warnings: list[str]) -> None:
    flash(message, "info")
    for warning in warnings:
        flash(f"Note: {warning.removeprefix('image: ')}", "info")


def _form_page(template: str, form: Any, **values: Any) -> Page:
    limit = _max_image_bytes() // (1024 * 1024)
    body = render_template(
        template,
        form=form,
        private_hint=PRIVATE_HINT,
        image_hint=IMAGE_HINT.format(limit=f"{limit} MiB"),
        # The badge form's script warns about the chosen image's size in the server's words.
        size_warnings=size_warning_texts(),
        recommended_size=RECOMMENDED_SIZE,
        **values,
    )
    return (body, 400) if form.is_submitted() else Response(body)
