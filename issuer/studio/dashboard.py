"""Studio home (the dashboard) and each badge's Studio page, with their charts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import render_template, request
from markupsafe import Markup

from issuer import context
from issuer.auth.access import admin_required
from issuer.charts import Bar, bar_chart
from issuer.services import dashboard
from issuer.studio import bp

PLURALS = {"week": "weeks", "month": "months"}


@bp.get("")
@admin_required
def show_dashboard() -> str:
    """Studio home: awards per week, top badges, course funnels, recent events, the outbox."""
    return render_template(
        "studio/dashboard.html", dashboard=dashboard.studio_dashboard(), urls=context.urls()
    )


@bp.get("/badges/<uuid:badge_id>")
@admin_required
def show_badge(badge_id: uuid.UUID) -> str:
    """A badge in the Studio: its details, its awards over time and its holders, paged."""
    period = request.args.get("by", "month")
    period = period if period in dashboard.PERIODS else "month"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    overview = dashboard.badge_overview(badge_id, period=period, page=page)
    return render_template("studio/badge.html", overview=overview, urls=context.urls())


@bp.context_processor
def _chart_helpers() -> dict[str, Any]:
    return {"series_chart": series_chart, "bucket_name": bucket_name}


def series_chart(series: dashboard.Series, name: str) -> Markup:
    """An SVG bar chart of award counts per week or month."""
    bars = [
        Bar(
            label=_short_label(bucket.start, series.period),
            value=bucket.count,
            title=f"{bucket_name(bucket, series.period)}: {_awards(bucket.count)}",
        )
        for bucket in series.buckets
    ]
    plural = PLURALS[series.period]
    summary = (
        f"{name}, the last {len(bars)} {plural}: {_awards(series.total)} in total" if bars else name
    )
    if series.busiest is not None:
        summary += (
            f", most in {bucket_name(series.busiest, series.period)} ({series.busiest.count})"
        )
    return bar_chart(bars, name=summary, empty=f"No awards in these {plural} yet.")


def bucket_name(bucket: dashboard.Bucket, period: str) -> str:
    """A bucket's name in words: "the week of 3 Mar 2025", "March 2025"."""
    if period == "week":
        return f"the week of {bucket.start.day} {bucket.start:%b %Y}"
    return f"{bucket.start:%B %Y}"


def _short_label(start: datetime, period: str) -> str:
    return f"{start.day} {start:%b}" if period == "week" else f"{start:%b %Y}"


def _awards(count: int) -> str:
    return f"{count:,} award{'' if count == 1 else 's'}"
