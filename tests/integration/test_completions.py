"""One completion path: every case ends the same for one learner and for a batch of them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from issuer.extensions import db
from issuer.models import Assertion, Enrolment, Notification, OutboxEmail, StageCompletion, User
from tests.support import ApiClient

WHEN = "2026-03-01T09:30:00Z"
CASES = ("first", "repeated", "held", "finished")
# The stage each case completes: Basics (with a badge), or Advanced, the last one.
STAGE = {"first": 0, "repeated": 0, "held": 0, "finished": 2}
# Notifications (and e-mails) a learner has in the end, whatever the path.
TOLD = {"first": 1, "repeated": 1, "held": 1, "finished": 3}


def _complete(api: ApiClient, course: dict[str, Any], stage: int, **body: Any) -> Any:
    stage_id = course["stages"][stage]["id"]
    return api.post(f"/courses/{course['id']}/stages/{stage_id}/completions", body)


def _prepare(
    case: str, email: str, api: ApiClient, course: dict[str, Any], award: Any
) -> str | None:
    """Bring one learner to the case's starting point; the id of the award they already hold."""
    if case == "repeated":
        body = _complete(api, course, 0, user=email, completed_at=WHEN).json or {}
        return str(body["award"]["id"])
    if case == "held":
        basics = course["stages"][0]["badge"]
        return str(award(basics, email)["awards"][0]["id"])
    if case == "finished":
        _complete(api, course, 0, user=email, completed_at=WHEN)
        _complete(api, course, 1, user=email, completed_at=WHEN)
    return None


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
@pytest.mark.parametrize("case", CASES)
def test_each_case_ends_the_same_for_one_learner_and_a_batch(
    app: Flask, api: ApiClient, course: dict[str, Any], award: Any, case: str, batch: bool
) -> None:
    emails = ["ada@example.org", "bob@example.org"] if batch else ["ada@example.org"]
    held = {email: _prepare(case, email, api, course, award) for email in emails}
    stage = STAGE[case]
    if batch:
        response = _complete(api, course, stage, users=emails, completed_at=WHEN)
        results = (response.json or {})["completions"]
    else:
        response = _complete(api, course, stage, user=emails[0], completed_at=WHEN)
        results = [response.json]
    assert response.status_code == (200 if case == "repeated" else 201), response.json

    stage_badge = course["stages"][stage]["badge"]
    for email, result in zip(emails, results, strict=True):
        assert result["user"] == email
        assert result["stage"] == course["stages"][stage]["id"]
        assert result["status"] == ("already_completed" if case == "repeated" else "completed")
        assert result["completed_at"] == WHEN
        assert result["award"]["badge"] == stage_badge
        if held[email] is not None:  # the award held before is the one reported
            assert result["award"]["id"] == held[email]
        else:
            assert result["award"]["issued_on"] == WHEN
            assert result["award"]["narrative"].startswith("Completed the stage")
        assert result["course_completed"] is (case == "finished")
        if case == "finished":
            assert result["course_award"]["badge"] == course["completion_badge"]
            assert result["course_award"]["issued_on"] == WHEN
        else:
            assert result["course_award"] is None

        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.email == email))
            assert _count(Notification, Notification.user_id == user_id) == TOLD[case]
            assert _count(OutboxEmail, OutboxEmail.to_address == email) == TOLD[case]
            current = (Assertion.recipient_id == user_id, Assertion.revoked.is_(False))
            assert _count(Assertion, Assertion.badge_id == uuid.UUID(stage_badge), *current) == 1
            completion = db.session.scalar(
                select(StageCompletion).where(
                    StageCompletion.user_id == user_id,
                    StageCompletion.stage_id == uuid.UUID(result["stage"]),
                )
            )
            assert completion is not None
            assert str(completion.id) == result["id"]
            assert str(completion.assertion_id) == result["award"]["id"]
            enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id))
            assert enrolment is not None
            if case == "finished":
                assert enrolment.completed_at is not None
                assert str(enrolment.completion_assertion_id) == result["course_award"]["id"]
            else:
                assert enrolment.completed_at is None
                assert enrolment.completion_assertion_id is None


def test_a_batch_mixing_the_cases_reports_each_learner_as_alone(
    app: Flask, api: ApiClient, course: dict[str, Any], award: Any
) -> None:
    held = _prepare("held", "held@example.org", api, course, award)
    repeated = _prepare("repeated", "again@example.org", api, course, award)
    body = (
        _complete(
            api,
            course,
            0,
            users=["new@example.org", "held@example.org", "again@example.org", "NEW@example.org"],
        ).json
        or {}
    )
    results = {result["user"]: result for result in body["completions"]}
    assert list(results) == ["new@example.org", "held@example.org", "again@example.org"]
    assert (body["created"], body["existing"]) == (2, 1)
    assert results["held@example.org"]["award"]["id"] == held
    assert results["again@example.org"]["award"]["id"] == repeated
    assert results["again@example.org"]["status"] == "already_completed"
    assert results["new@example.org"]["award"]["id"] not in (held, repeated)
