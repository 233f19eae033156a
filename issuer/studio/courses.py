"""Studio > Courses: courses and their ordered stages, and marking a stage complete by hand."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from issuer import context
from issuer.auth.access import admin_required
from issuer.extensions import db
from issuer.ids import optional_id
from issuer.models import Course
from issuer.services import badges, completions, courses, progress
from issuer.services.errors import ServiceError
from issuer.studio import bp
from issuer.studio.forms import CompletionForm, CourseForm, StageForm
from issuer.studio.routes import Page

# Blank stage rows under the stages, for adding some without JavaScript.
BLANK_ROWS = 3
# How many of the most recent completion events the course page lists.
EVENTS_SHOWN = 100
NO_BADGE = ("", "— none —")
SOURCES = {"api": "API", "studio": "Studio"}
# A service error about one stage: "stages[2].badge".
_STAGE_FIELD = re.compile(r"stages\[(\d+)\]\.(\w+)")


@bp.get("/courses")
@admin_required
def list_courses() -> str:
    """Studio > Courses: every course, its stages and how many learners started and finished."""
    found = courses.list_courses()
    return render_template(
        "studio/courses.html",
        courses=found,
        counts=progress.count_learners([course.id for course in found]),
        urls=context.urls(),
    )


@bp.route("/courses/new", methods=["GET", "POST"])
@admin_required
def new_course() -> Page:
    """The New course form."""
    form = CourseForm()
    if not form.is_submitted():
        _add_blank_rows(form)
    return _save_course(form, courses.create_course, title="New course", verb="created")


@bp.route("/courses/<uuid:course_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_course(course_id: uuid.UUID) -> Page:
    """Change a course; its stages keep their identity (and completions) through their ids."""
    course = courses.get_course(course_id)
    if request.method == "GET":
        form = CourseForm(data=_course_data(course))
        _add_blank_rows(form)
    else:
        form = CourseForm()
    form.submit.label.text = "Save changes"

    def save(draft: courses.CourseDraft) -> Course:
        # The form shows every field, so saving it changes them all.
        return courses.update_course(course_id, draft.changes())

    return _save_course(form, save, title=f"Edit {course.name}", verb="saved", course=course)


@bp.get("/courses/<uuid:course_id>")
@admin_required
def show_course(course_id: uuid.UUID) -> Page:
    """A course: its stages, its learners, the form to mark a stage complete, recent events."""
    return _course_page(courses.get_course(course_id), CompletionForm())


@bp.post("/courses/<uuid:course_id>/completions")
@admin_required
def complete_stage(course_id: uuid.UUID) -> Page:
    """Mark a stage complete for one learner (a new learner account for an unknown address)."""
    course = courses.get_course(course_id)
    form = CompletionForm()
    _set_stage_choices(form, course)
    if not form.validate_on_submit():
        return _course_page(course, form, status=400)
    try:
        result = completions.complete_stage(
            course.id,
            uuid.UUID(form.stage.data),
            [form.email.data],
            completed_at=_completed_at(form.completed_on.data),
            reporter=completions.Reporter("studio", current_user.id, request.remote_addr),
            signer=context.signer(),
        )[0]
    except ServiceError as error:
        db.session.rollback()
        field = {"user": form.email, "users": form.email, "completed_at": form.completed_on}
        target = field.get(error.field or "")
        if target is None:
            flash(error.message, "error")
        else:
            target.errors = [*target.errors, error.message.removeprefix(f"{error.field}: ")]
        return _course_page(course, form, status=error.status)
    db.session.commit()
    flash(_completion_message(course, result), "info")
    return redirect(url_for("studio.show_course", course_id=course.id))


def _save_course(
    form: CourseForm,
    save: Callable[[courses.CourseDraft], Course],
    *,
    title: str,
    verb: str,
    course: Course | None = None,
) -> Page:
    """Validate the course form and save it; or show the form with what is wrong."""
    choices = _badge_choices()
    form.completion_badge.choices = choices
    for entry in form.stages:
        entry.form.badge.choices = choices
    stage_errors: list[str] = []
    status = 400
    if form.validate_on_submit():
        rows = _stage_rows(form)
        try:
            saved = save(_course_draft(form, rows))
        except ServiceError as error:
            db.session.rollback()
            status = error.status
            stage_errors = _show_course_error(form, rows, error)
        else:
            db.session.commit()
            flash(f"Course “{saved.name}” {verb}.", "info")
            return redirect(url_for("studio.show_course", course_id=saved.id))
    prototype = StageForm(prefix="stages-__index__-")
    prototype.badge.choices = choices
    body = render_template(
        "studio/course_form.html",
        form=form,
        prototype=prototype,
        stage_errors=stage_errors,
        title=title,
        course=course,
    )
    return (body, status) if form.is_submitted() else Response(body)


def _course_data(course: Course) -> dict[str, Any]:
    """The form's data for an existing course."""
    return {
        "name": course.name,
        "description": course.description or "",
        "completion_badge": str(course.completion_badge_id or ""),
        "stages": [
            {"id": str(stage.id), "name": stage.name, "badge": str(stage.badge_id or "")}
            for stage in course.stages
        ],
    }


def _add_blank_rows(form: CourseForm) -> None:
    for _ in range(BLANK_ROWS):
        form.stages.append_entry()


def _badge_choices() -> list[tuple[str, str]]:
    """The badges a course can award: never a private one (those are awarded by hand only)."""
    earnable = [badge for badge in badges.list_badges(include_private=False) if not badge.archived]
    return [NO_BADGE, *((str(badge.id), badge.name) for badge in earnable)]


def _stage_rows(form: CourseForm) -> list[StageForm]:
    """The rows that make stages, in the form's order.

    A row without a name is left out: a blank row, or an existing stage being removed.
    """
    return [entry.form for entry in form.stages if (entry.form.name.data or "").strip()]


def _course_draft(form: CourseForm, rows: list[StageForm]) -> courses.CourseDraft:
    """The course in the form; its stages from ``rows``, numbered as errors name them."""
    return courses.CourseDraft(
        name=form.name.data,
        description=form.description.data,
        completion_badge_id=optional_id(form.completion_badge.data, "completion_badge"),
        stages=[
            courses.StageDraft(
                name=row.name.data.strip(),
                badge_id=optional_id(row.badge.data, f"stages[{index}].badge"),
                id=optional_id(row.id.data, f"stages[{index}].id"),
            )
            for index, row in enumerate(rows)
        ],
    )


def _show_course_error(form: CourseForm, rows: list[StageForm], error: ServiceError) -> list[str]:
    """Put a service error next to the field it is about; return errors about the stages."""
    message = error.message.removeprefix(f"{error.field}: ")
    match = _STAGE_FIELD.fullmatch(error.field or "")
    if match is not None and int(match[1]) < len(rows):
        row = rows[int(match[1])]
        target = getattr(row, match[2], None)
        # The row's hidden id has no place to show an error: show it by the name.
        if target is None or match[2] == "id":
            target = row.name
        target.errors = [*target.errors, message]
        return []
    if error.field in ("name", "description", "completion_badge"):
        target = getattr(form, error.field)
        target.errors = [*target.errors, message]
        return []
    return [message]


def _course_page(course: Course, form: CompletionForm, *, status: int = 200) -> Page:
    """Render the course page, with the Mark a stage complete form as given."""
    _set_stage_choices(form, course)
    started, finished = progress.count_learners([course.id]).get(course.id, (0, 0))
    body = render_template(
        "studio/course.html",
        course=course,
        form=form,
        started=started,
        finished=finished,
        events=completions.list_completions(course.id, limit=EVENTS_SHOWN),
        sources=SOURCES,
        urls=context.urls(),
    )
    return Response(body) if status == 200 else (body, status)


def _set_stage_choices(form: CompletionForm, course: Course) -> None:
    form.stage.choices = [
        (str(stage.id), f"{number}. {stage.name}")
        for number, stage in enumerate(course.stages, start=1)
    ]


def _completed_at(day: date | None) -> datetime | None:
    """The completion time for a date: now for today (or no date), else that day's start (UTC)."""
    if day is None or day == datetime.now(UTC).date():
        return None
    return datetime.combine(day, time(), tzinfo=UTC)


def _completion_message(course: Course, result: completions.CompletionResult) -> str:
    """Say what marking the stage complete did, for the flash message."""
    name, stage = result.name, result.stage_name
    if not result.new:
        return f"{name} had already completed “{stage}”; nothing new was awarded."
    message = f"{name} completed “{stage}”"
    if result.award is not None:
        verb = "earned" if result.award.new else "already held"
        message += f" and {verb} the badge “{result.award.badge_name}”"
    if result.course_completed:
        message += f", finishing the course “{course.name}”"
        if result.course_award is not None:
            verb = "earned" if result.course_award.new else "already held"
            message += f" ({verb} the badge “{result.course_award.badge_name}”)"
    return message + "."
