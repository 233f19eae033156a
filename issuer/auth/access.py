"""Who is signed in, and the guards for pages that need a user or an admin."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort
from flask_login import current_user

from issuer.extensions import db, login_manager
from issuer.models import User

F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    """Set up Flask-Login: how users are loaded and where anonymous visitors are sent."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)


def _load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    # Deactivating an account ends its sessions at their next request.
    return user if user is not None and user.active else None


def signed_in_user() -> User | None:
    """The signed-in user, or None for an anonymous visitor."""
    if current_user.is_authenticated:
        return cast(User, current_user._get_current_object())
    return None


def login_required(view: F) -> F:
    """Send anonymous visitors to the login page."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return cast(F, guarded)


def admin_required(view: F) -> F:
    """Send anonymous visitors to the login page and answer 403 to learners."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403, "this page is for admins")
        return view(*args, **kwargs)

    return cast(F, guarded)
