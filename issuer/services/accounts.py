"""People's accounts: invitations, password resets, roles and deactivation.

A link that sets a password (an invitation, a reset, or the "set your password" link of an
award e-mail) is a token naming the person, its purpose and when it expires, authenticated
with HMAC-SHA-256 under a key derived from the app's secret key and bound to the account's
current password hash and state. Nothing of it is stored: setting the password (or
deactivating the account) changes what it is bound to, so a link works once, and an e-mail to
10,000 award recipients writes no rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

from flask import render_template
from werkzeug.security import generate_password_hash

from issuer.extensions import db
from issuer.models import User
from issuer.models.types import utcnow
from issuer.openbadges.urls import PublicUrls
from issuer.services import outbox
from issuer.services.errors import ConflictError, InvalidInputError, ServiceError
from issuer.services.grants import GrantKey
from issuer.services.users import create_user, find_user_by_email, get_user

INVITE_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=2)
# The "set your password" link of an award e-mail: people read their e-mail later.
JOIN_TTL = timedelta(days=30)
MIN_PASSWORD = 10

_PURPOSES = {"invite": 1, "reset": 2, "join": 3}
_VERSION = 1
_MAC_BYTES = 16
_BODY = 2 + 16 + 8


class AccountLinkError(ServiceError):
    """A password link that cannot be used: unknown, expired or used already."""

    status = 400


def password_token(user: User, purpose: str, ttl: timedelta, key: GrantKey) -> str:
    """A one-time token that lets ``user`` set their password, for ``purpose``."""
    return _token(user.id, user.password_hash, user.active, purpose, ttl, key)


def join_link(
    user_id: uuid.UUID, password_hash: str | None, active: bool, urls: PublicUrls, key: GrantKey
) -> str | None:
    """The "set your password" link of an award e-mail, for someone who never set one."""
    if password_hash is not None or not active:
        return None
    return urls.set_password(_token(user_id, None, True, "join", JOIN_TTL, key))


def _token(
    user_id: uuid.UUID,
    password_hash: str | None,
    active: bool,
    purpose: str,
    ttl: timedelta,
    key: GrantKey,
) -> str:
    expiry = int((utcnow() + ttl).timestamp())
    body = bytes([_VERSION, _PURPOSES[purpose]]) + user_id.bytes + expiry.to_bytes(8, "big")
    mac = _mac(key, body, password_hash, active)
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode("ascii")


def user_for_token(token: str, key: GrantKey) -> User:
    """The person a password token is for; AccountLinkError unless it can be used now."""
    unknown = AccountLinkError(
        "this link is not valid: ask for a new one with “Forgot password?” on the login page"
    )
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise unknown from None
    if len(raw) != _BODY + _MAC_BYTES or raw[0] != _VERSION:
        raise unknown
    body, mac = raw[:_BODY], raw[_BODY:]
    user = db.session.get(User, uuid.UUID(bytes=body[2:18]))
    if user is None:
        raise unknown
    if not hmac.compare_digest(mac, _mac(key, body, user.password_hash, user.active)):
        raise AccountLinkError(
            "This link was used already or replaced by a newer one. Log in, or ask for a new "
            "link with “Forgot password?” on the login page."
        )
    expires = datetime.fromtimestamp(int.from_bytes(body[18:], "big"), UTC)
    if expires <= utcnow():
        raise AccountLinkError(
            f"This link expired on {expires:%d %B %Y at %H:%M} UTC. Ask for a new one with "
            "“Forgot password?” on the login page."
        )
    return user


def set_password_with_token(token: str, password: str, key: GrantKey) -> User:
    """Set the password a token allows; the token (and every earlier one) stops working."""
    user = user_for_token(token, key)
    user.password_hash = generate_password_hash(check_new_password(password))
    db.session.flush()
    return user


def check_new_password(password: str) -> str:
    """A password people may choose: at least MIN_PASSWORD characters."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(
            f"Choose a password of at least {MIN_PASSWORD} characters.", "password"
        )
    return password


def invite_person(name: str, email: str, role: str, urls: PublicUrls, key: GrantKey) -> User:
    """Create an account and e-mail the person a link to set their password; flush."""
    if not name.strip():
        raise InvalidInputError("Give the person's name.", "name")
    user = create_user(email, name, role=role)
    _send_link(user, "invite", urls, key)
    return user


def send_password_link(user_id: uuid.UUID, urls: PublicUrls, key: GrantKey) -> User:
    """E-mail someone a new link: the invitation again if they never set a password, else a
    password reset."""
    user = get_user(user_id)
    if not user.active:
        raise ConflictError("The account is deactivated: reactivate it first.")
    _send_link(user, "reset" if user.password_hash else "invite", urls, key)
    return user


def request_password_reset(email: str, urls: PublicUrls, key: GrantKey) -> None:
    """E-mail a reset link to the account with this address, if there is an active one.

    The caller says the same thing either way, so nobody learns which addresses have accounts.
    """
    user = find_user_by_email(email)
    if user is not None and user.active:
        _send_link(user, "reset" if user.password_hash else "invite", urls, key)


def set_role(user_id: uuid.UUID, role: str, acting: User) -> User:
    """Make someone an admin or a learner (not yourself: an admin cannot lock themselves out)."""
    if role not in ("admin", "learner"):
        raise InvalidInputError("role must be admin or learner", "role")
    user = get_user(user_id)
    if user.id == acting.id:
        raise ConflictError("You cannot change your own role: ask another admin.")
    user.role = role
    db.session.flush()
    return user


def set_active(user_id: uuid.UUID, active: bool, acting: User) -> User:
    """Deactivate an account (it cannot log in or use its API tokens; its awards stay
    valid) or reactivate it."""
    user = get_user(user_id)
    if user.id == acting.id:
        raise ConflictError("You cannot deactivate your own account: ask another admin.")
    user.active = active
    db.session.flush()
    return user


def _send_link(user: User, purpose: str, urls: PublicUrls, key: GrantKey) -> None:
    ttl = INVITE_TTL if purpose == "invite" else RESET_TTL
    link = urls.set_password(password_token(user, purpose, ttl, key))
    values = {
        "name": user.name,
        "link": link,
        "until": f"{utcnow() + ttl:%d %B %Y at %H:%M} UTC",
        "site": urls.base_url,
        "admin": user.is_admin,
    }
    subject = "You are invited to the badge site" if purpose == "invite" else "Set a new password"
    outbox.enqueue(
        [
            outbox.Email(
                to_address=user.email,
                subject=subject,
                body_text=render_template(f"emails/{purpose}.txt", **values),
                body_html=render_template(f"emails/{purpose}.html", **values),
            )
        ]
    )


def _mac(key: GrantKey, body: bytes, password_hash: str | None, active: bool) -> bytes:
    # Bound to the password hash and state: setting the password, or deactivating the account,
    # turns every earlier link of this person into an unknown one.
    state = hashlib.sha256((password_hash or "").encode("utf-8")).digest() + bytes([active])
    return key.mac(body + state)
