"""Blueprint "api": the admin JSON API under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from issuer.api import auth, courses, routes  # noqa: E402,F401  (registers the views on bp)
