"""Blueprint "studio": the admins' pages: dashboard, badges, courses, issuers, people, settings."""

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")

from issuer.studio import (  # noqa: E402,F401  (registers the views on bp)
    courses,
    csv_awards,
    dashboard,
    routes,
)
