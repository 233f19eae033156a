"""Blueprint "public": hosted Open Badges documents and images, for verifiers and people."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from issuer.public import routes  # noqa: E402,F401  (registers the views on bp)
