"""The admin API's course views: courses, their stages, and learners completing stages."""

from __future__ import annotations

import uuid

from flask import Response, g, jsonify, request, url_for

from issuer import context
from issuer.api import bp
from issuer.api.drafts import course_changes, course_draft
from issuer.api.parsing import json_body, optional_datetime
from issuer.api.serializers import completion_json, course_json
from issuer.extensions import db
from issuer.services import completions, courses, progress


@bp.post("/courses")
def create_course() -> Response:
    """Create a course with its stages."""
    course = courses.create_course(course_draft(json_body("course-create")))
    db.session.commit()
    response = jsonify(course_json(course))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_course", course_id=course.id)
    return response


@bp.get("/courses")
def list_courses() -> Response:
    """List every course with its stages."""
    found = courses.list_courses()
    counts = progress.count_learners([c.id for c in found])
    return jsonify({"courses": [course_json(c, counts.get(c.id, (0, 0))) for c in found]})


@bp.get("/courses/<uuid:course_id>")
def get_course(course_id: uuid.UUID) -> Response:
    """Show one course."""
    course = courses.get_course(course_id)
    return jsonify(course_json(course, progress.count_learners([course_id]).get(course_id, (0, 0))))


@bp.patch("/courses/<uuid:course_id>")
def update_course(course_id: uuid.UUID) -> Response:
    """Change a course: its name, description, stages or completion badge."""
    course = courses.update_course(course_id, course_changes(json_body("course-update")))
    db.session.commit()
    return jsonify(course_json(course, progress.count_learners([course_id]).get(course_id, (0, 0))))


@bp.post("/courses/<uuid:course_id>/stages/<uuid:stage_id>/completions")
def complete_stage(course_id: uuid.UUID, stage_id: uuid.UUID) -> Response:
    """Record that one learner (``user``) or several (``users``) completed a stage."""
    body = json_body("completion-create")
    single = "user" in body
    results = completions.complete_stage(
        course_id,
        stage_id,
        [body["user"]] if single else body["users"],
        completed_at=optional_datetime(body.get("completed_at")),
        reporter=completions.Reporter("api", g.api_user.id, request.remote_addr),
        signer=context.signer(),
    )
    db.session.commit()
    urls = context.urls()
    created = sum(result.new for result in results)
    if single:
        response = jsonify(completion_json(results[0], urls))
    else:
        response = jsonify(
            {
                "completions": [completion_json(r, urls) for r in results],
                "created": created,
                "existing": len(results) - created,
            }
        )
    response.status_code = 201 if created else 200
    return response
