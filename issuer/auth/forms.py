"""The login form, and the forms that set a password by e-mail."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from issuer.services.accounts import MIN_PASSWORD


class LoginForm(FlaskForm):  # type: ignore[misc]
    """E-mail and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])
    submit = SubmitField("Log in")


class ForgotPasswordForm(FlaskForm):  # type: ignore[misc]
    """Ask for a link to set a new password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    submit = SubmitField("Send me a link")


class SetPasswordForm(FlaskForm):  # type: ignore[misc]
    """Choose a password (from an invitation or a reset link)."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=500,
                message=f"Choose a password of at least {MIN_PASSWORD} characters.",
            ),
        ],
    )
    repeat = PasswordField(
        "Repeat it",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )
    submit = SubmitField("Set password")
