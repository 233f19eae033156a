"""The API's JSON view of each object: its public id, openBadgeId and fields."""

from __future__ import annotations

from typing import Any

from issuer.models import Assertion, BadgeClass, Course, Issuer, User
from issuer.openbadges.ob2 import format_datetime
from issuer.openbadges.urls import PublicUrls
from issuer.services.completions import CompletionResult
from issuer.services.csv_awards import CsvAwardPlan
from issuer.services.verification import Verification


def issuer_json(issuer: Issuer, urls: PublicUrls) -> dict[str, Any]:
    """Describe an issuer."""
    return {
        "id": str(issuer.id),
        "openBadgeId": urls.issuer(issuer.id),
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
        "image": urls.issuer_image(issuer.id) if issuer.image_id else None,
        "created_at": format_datetime(issuer.created_at),
    }


def badge_json(
    badge: BadgeClass, urls: PublicUrls, award_count: int | None = None
) -> dict[str, Any]:
    """Describe a badge class."""
    criteria: dict[str, str] = {}
    if badge.criteria_narrative:
        criteria["narrative"] = badge.criteria_narrative
    if badge.criteria_url:
        criteria["url"] = badge.criteria_url
    data: dict[str, Any] = {
        "id": str(badge.id),
        "openBadgeId": urls.badge(badge.id),
        "issuer": str(badge.issuer_id),
        "name": badge.name,
        "description": badge.description,
        "image": urls.badge_image(badge.id),
        "criteria": criteria,
        "private": badge.private,
        "post_to_feed": badge.post_to_feed,
        "archived": badge.archived,
        "tags": list(badge.tags),
        "alignment": list(badge.alignment),
        "expires_after_days": badge.expires_after_days,
        "created_at": format_datetime(badge.created_at),
        "updated_at": format_datetime(badge.updated_at),
    }
    if award_count is not None:
        data["award_count"] = award_count
    return data


def award_json(award: Assertion, urls: PublicUrls) -> dict[str, Any]:
    """Describe an award (assertion)."""
    return {
        "id": str(award.id),
        "openBadgeId": urls.assertion(award.id),
        "badge": str(award.badge_id),
        "recipient": award.recipient_email,
        "recipient_id": str(award.recipient_id),
        "in_feed": award.in_feed,
        "image": urls.assertion_image(award.id),
        "signed": award.signed_jws,
        "credential": urls.credential(award.id),
        "credential_ld": urls.credential_json(award.id),
        "issued_on": format_datetime(award.issued_on),
        "expires": format_datetime(award.expires) if award.expires else None,
        "narrative": award.narrative,
        "evidence": list(award.evidence or []),
        "revoked": award.revoked,
        "revocation_reason": award.revocation_reason,
        "revoked_at": format_datetime(award.revoked_at) if award.revoked_at else None,
        "created_at": format_datetime(award.created_at),
    }


def user_json(user: User) -> dict[str, Any]:
    """Describe a user (never the password hash)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "created_at": format_datetime(user.created_at),
    }


def verification_json(result: Verification, urls: PublicUrls) -> dict[str, Any]:
    """Describe the outcome of a verification, with the award, badge and issuer when found."""
    data: dict[str, Any] = {
        "valid": result.valid,
        "status": result.status,
        "message": result.message,
        "format": result.format,
        "assertion": None,
        "badge": None,
        "issuer": None,
    }
    award = result.assertion
    if award is not None:
        badge = award.badge
        data["assertion"] = {
            "id": str(award.id),
            "openBadgeId": urls.assertion(award.id),
            "issued_on": format_datetime(award.issued_on),
            "expires": format_datetime(award.expires) if award.expires else None,
            "revoked": award.revoked,
            "revocation_reason": award.revocation_reason,
        }
        data["badge"] = {
            "id": str(badge.id),
            "openBadgeId": urls.badge(badge.id),
            "name": badge.name,
            "image": urls.badge_image(badge.id),
        }
        data["issuer"] = {
            "id": str(badge.issuer_id),
            "openBadgeId": urls.issuer(badge.issuer_id),
            "name": badge.issuer.name,
        }
    return data


def course_json(course: Course, learners: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """Describe a course, its stages in order and how many learners started and finished it."""
    return {
        "id": str(course.id),
        "name": course.name,
        "description": course.description,
        "stages": [
            {
                "id": str(stage.id),
                "position": stage.position + 1,
                "name": stage.name,
                "badge": str(stage.badge_id) if stage.badge_id else None,
            }
            for stage in course.stages
        ],
        "completion_badge": str(course.completion_badge_id) if course.completion_badge_id else None,
        "learners_started": learners[0],
        "learners_finished": learners[1],
        "created_at": format_datetime(course.created_at),
        "updated_at": format_datetime(course.updated_at),
    }


def completion_json(result: CompletionResult, urls: PublicUrls) -> dict[str, Any]:
    """Describe what one learner's stage completion did."""
    course_award = result.course_award
    return {
        "id": str(result.completion_id),
        "user": result.email,
        "user_id": str(result.user_id),
        "stage": str(result.stage_id),
        "status": "completed" if result.new else "already_completed",
        "completed_at": format_datetime(result.completed_at),
        "recorded_at": format_datetime(result.recorded_at),
        "award": award_json(result.award.award, urls) if result.award else None,
        "course_completed": result.course_completed,
        "course_award": award_json(course_award.award, urls) if course_award else None,
    }


def csv_rows_json(plan: CsvAwardPlan) -> dict[str, Any]:
    """Describe what each row of a CSV file will do (or did), with the totals per status."""
    return {
        "counts": plan.counts(),
        "header_errors": plan.header_errors,
        "rows": [
            {
                "row": row.row,
                "email": row.email,
                "status": row.status,
                "messages": row.messages,
                "award": str(row.award.id) if row.award else None,
            }
            for row in plan.rows
        ],
    }
