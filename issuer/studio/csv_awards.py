"""Studio > Badges > Award from CSV: upload a file, preview what each row does, award them all."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from issuer import context
from issuer.auth.access import admin_required
from issuer.award_csv import COLUMNS, MAX_ROWS
from issuer.extensions import db
from issuer.models import CsvUpload
from issuer.services import csv_awards, profiles
from issuer.services.badges import get_badge
from issuer.services.errors import ServiceError
from issuer.studio import bp
from issuer.studio.forms import CsvConfirmForm, CsvUploadForm
from issuer.studio.routes import Page

# How many rows the preview lists besides those with errors (which are all listed).
PREVIEW_ROWS = 200
PROGRESS_TYPE = "application/x-ndjson"


@bp.route("/badges/<uuid:badge_id>/award-csv", methods=["GET", "POST"])
@admin_required
def upload_csv(badge_id: uuid.UUID) -> Page:
    """Upload a CSV file of recipients; nothing is awarded before the preview is confirmed."""
    badge = get_badge(badge_id)
    form = CsvUploadForm()
    if form.validate_on_submit():
        file = form.file.data
        try:
            upload = csv_awards.store_upload(
                badge_id, current_user.id, file.filename or "recipients.csv", file.read()
            )
        except ServiceError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, error.message]
        else:
            db.session.commit()
            return redirect(url_for("studio.preview_csv", badge_id=badge_id, upload_id=upload.id))
    body = render_template(
        "studio/award_csv.html", badge=badge, form=form, columns=COLUMNS, max_rows=MAX_ROWS
    )
    return (body, 400) if form.is_submitted() else Response(body)


@bp.get("/badges/<uuid:badge_id>/award-csv/<uuid:upload_id>")
@admin_required
def preview_csv(badge_id: uuid.UUID, upload_id: uuid.UUID) -> Page:
    """What each row of an uploaded file would do, or what it did once awarded."""
    upload = csv_awards.get_upload(badge_id, upload_id)
    return _preview(upload, CsvConfirmForm())


@bp.post("/badges/<uuid:badge_id>/award-csv/<uuid:upload_id>")
@admin_required
def award_uploaded_csv(badge_id: uuid.UUID, upload_id: uuid.UUID) -> Page:
    """Award a previewed file; a script asking for progress gets it as a stream of JSON lines."""
    form = CsvConfirmForm()
    if not form.validate_on_submit():
        return _preview(csv_awards.get_upload(badge_id, upload_id), form, status=400)
    steps = csv_awards.award_upload(
        badge_id,
        upload_id,
        context.signer(),
        notify=bool(form.notify.data),
        post_to_feed=bool(form.post_to_feed.data),
    )
    done_url = url_for("studio.preview_csv", badge_id=badge_id, upload_id=upload_id)
    if PROGRESS_TYPE in request.headers.get("Accept", ""):
        return Response(stream_with_context(_progress(steps, done_url)), mimetype=PROGRESS_TYPE)
    try:
        for _ in steps:
            pass
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(done_url)
    db.session.commit()
    flash(_summary(csv_awards.get_upload(badge_id, upload_id)), "info")
    return redirect(done_url)


def _progress(steps: Iterator[tuple[int, int]], done_url: str) -> Iterator[str]:
    """Run the award, reporting each step; the commit comes last, so it is all or nothing."""
    yield _line({"phase": "checking"})
    try:
        for done, total in steps:
            yield _line({"phase": "awarding", "done": done, "total": total})
    except ServiceError as error:
        db.session.rollback()
        yield _line({"phase": "failed", "message": error.message, "redirect": done_url})
        return
    db.session.commit()
    yield _line({"phase": "done", "redirect": done_url})


def _line(event: dict[str, object]) -> str:
    return json.dumps(event) + "\n"


def _preview(upload: CsvUpload, form: CsvConfirmForm, status: int = 200) -> Page:
    plan = None
    if upload.awarded_at is None:
        try:
            plan = csv_awards.plan_csv_award(upload.badge_id, upload.data)
        except ServiceError as error:
            flash(error.message, "error")
    shown = []
    if plan is not None:
        # Every error, then the rows that award nothing, then new awards, up to a page's worth.
        order = (csv_awards.ERROR, csv_awards.DUPLICATE, csv_awards.HELD, csv_awards.NEW)
        ranked = sorted(plan.rows, key=lambda row: order.index(row.status))
        errors = plan.counts()[csv_awards.ERROR]
        shown = ranked[: errors + PREVIEW_ROWS]
    body = render_template(
        "studio/award_csv_preview.html",
        upload=upload,
        badge=upload.badge,
        plan=plan,
        rows=shown,
        hidden_rows=len(plan.rows) - len(shown) if plan else 0,
        feed_on=profiles.feed_enabled(),
        form=form,
        summary=_summary(upload) if upload.awarded_at else None,
    )
    return (body, status) if status != 200 else Response(body)


def _summary(upload: CsvUpload) -> str:
    counts = upload.counts or {}
    return (
        f"Awarded “{upload.badge.name}” from {upload.filename}: "
        f"{counts.get(csv_awards.NEW, 0):,} new, "
        f"{counts.get(csv_awards.HELD, 0):,} already held, "
        f"{counts.get(csv_awards.DUPLICATE, 0):,} repeated rows."
    )
