"""Bearer-token authentication: every API call needs an admin's token."""

from __future__ import annotations

from flask import abort, g, request

from issuer.api import bp
from issuer.services.users import authenticate_token

PUBLIC_ENDPOINTS = {"api.get_openapi", "api.verify"}


@bp.before_request
def require_admin_token() -> None:
    """Reject calls without a valid token (401) or with a learner's token (403)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, "send an admin's API token as 'Authorization: Bearer <token>'")
    user = authenticate_token(token.strip())
    if user is None:
        abort(401, "the API token is not valid")
    if not user.is_admin:
        abort(403, "this API is for admins; the token belongs to a learner")
    g.api_user = user
