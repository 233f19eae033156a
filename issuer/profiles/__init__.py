"""Blueprint "profiles": people's pages, the feed and notifications."""

from flask import Blueprint

bp = Blueprint("profiles", __name__)

from issuer.profiles import routes  # noqa: E402,F401  (registers the views on bp)
