"""Logging in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from issuer.auth import bp
from issuer.auth.access import signed_in_user
from issuer.auth.forms import LoginForm
from issuer.services.users import check_password


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    """Show the login form; sign the user in when the e-mail and password match."""
    if signed_in_user() is not None:
        return redirect(_next_page())  # type: ignore[return-value]
    form = LoginForm()
    if form.validate_on_submit():
        user = check_password(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_next_page())  # type: ignore[return-value]
        flash("The e-mail address or the password is wrong.", "error")
    status = 400 if form.is_submitted() else 200
    return Response(render_template("auth/login.html", form=form), status=status)


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("public.index"))  # type: ignore[return-value]


def _next_page() -> str:
    target = request.args.get("next", "")
    parts = urlsplit(target)
    # Only paths on this site: an open redirect would help phishing.
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    user = signed_in_user()
    if user is not None and user.is_admin:
        return url_for("studio.list_badges")
    return url_for("profiles.feed")
