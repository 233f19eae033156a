"""Blueprint "auth": logging in and out, and who may see what."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from issuer.auth import routes  # noqa: E402,F401  (registers the views on bp)
