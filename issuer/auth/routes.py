"""Logging in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from issuer import context
from issuer.auth import bp
from issuer.auth.access import signed_in_user
from issuer.auth.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from issuer.extensions import db
from issuer.services import accounts
from issuer.services.errors import ServiceError
from issuer.services.users import check_password


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    """Show the login form; sign the user in when the e-mail and password match."""
    if signed_in_user() is not None:
        return redirect(_next_page())  # type: ignore[return-value]
    form = LoginForm()
    if form.validate_on_submit():
        user = check_password(form.email.data, form.password.data)
        if user is not None and not user.active:
            flash("This account has been deactivated. Ask an admin of this site.", "error")
        elif user is not None:
            login_user(user)
            return redirect(_next_page())  # type: ignore[return-value]
        else:
            flash("The e-mail address or the password is wrong.", "error")
    status = 400 if form.is_submitted() else 200
    return Response(render_template("auth/login.html", form=form), status=status)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Response | str:
    """Forgot password?: e-mail a link that sets a new one."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, context.urls(), context.account_key())
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            f"If {form.email.data} has an account here, an e-mail with a link to set a new "
            "password is on its way. The link works once, for two hours.",
            "info",
        )
        return redirect(url_for("auth.login"))  # type: ignore[return-value]
    status = 400 if form.is_submitted() else 200
    return Response(render_template("auth/forgot.html", form=form), status=status)


@bp.route("/password/set", methods=["GET", "POST"])
def set_password() -> Response | str:
    """Set a password from an invitation or reset link, then log in."""
    token = request.args.get("token", "")
    try:
        user = accounts.user_for_token(token, context.account_key())
    except ServiceError as error:
        page = render_template("auth/set_password.html", form=None, error=error.message)
        return Response(page, status=error.status)
    form = SetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password_with_token(token, form.password.data, context.account_key())
        db.session.commit()
        login_user(user)
        flash("Your password is set. Welcome!", "info")
        return redirect(_next_page())  # type: ignore[return-value]
    status = 400 if form.is_submitted() else 200
    page = render_template("auth/set_password.html", form=form, error=None, user=user)
    return Response(page, status=status)


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
        return url_for("studio.show_dashboard")
    return url_for("profiles.feed")
