"""Blueprint "studio": the admins' pages for badges, courses, issuers, people and settings."""

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio")

from issuer.studio import courses, csv_awards, routes  # noqa: E402,F401  (registers the views on bp)
