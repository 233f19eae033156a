"""People and API tokens: create users, issue and check tokens, set up the first admin."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from issuer.extensions import db
from issuer.models import ApiToken, Tally, User
from issuer.openbadges.identity import InvalidEmailError, normalize_email
from issuer.services.errors import ConflictError, InvalidInputError, NotFoundError

TOKEN_PREFIX = "obi_"  # noqa: S105  (a visible prefix, so leaked tokens are easy to spot)


@dataclass(frozen=True)
class FirstAdmin:
    """The admin created on a fresh install, with the secrets shown exactly once."""

    user: User
    password: str
    token: str


def default_name(email: str) -> str:
    """Return a display name for someone known only by e-mail: the address's local part."""
    return email.split("@", 1)[0]


def create_user(
    email: str, name: str, *, role: str = "learner", password: str | None = None
) -> User:
    """Create a user; raise ConflictError when the e-mail address is taken."""
    address = _valid_email(email)
    if role not in ("admin", "learner"):
        raise InvalidInputError("role must be admin or learner", "role")
    if find_user_by_email(address) is not None:
        raise ConflictError(
            f"An account with the e-mail address {address} already exists.", "email"
        )
    user = User(
        email=address,
        name=name.strip(),
        role=role,
        password_hash=generate_password_hash(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def find_user_by_email(email: str) -> User | None:
    """Return the user with this e-mail address (compared normalised), or None."""
    try:
        address = normalize_email(email)
    except InvalidEmailError:
        return None
    return db.session.scalars(select(User).where(User.email == address)).one_or_none()


def get_user(user_id: uuid.UUID) -> User:
    """Return a user by id or raise NotFoundError."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def list_users(*, offset: int, limit: int) -> tuple[list[User], int]:
    """Return one page of users (oldest first) and the total count."""
    total = db.session.scalar(select(Tally.value).where(Tally.name == "users")) or 0
    users = db.session.scalars(
        select(User).order_by(User.created_at, User.id).offset(offset).limit(limit)
    ).all()
    return list(users), total


def check_password(email: str, password: str) -> User | None:
    """Return the user when the password is theirs, else None (same answer for every failure)."""
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        # Hash anyway, so the answer takes as long whether or not the address exists.
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def create_token(email: str) -> str:
    """Create an API token for the user with this e-mail; return the token (stored hashed)."""
    user = find_user_by_email(email)
    if user is None:
        raise NotFoundError(f"no user with e-mail {email}", "email")
    return _new_token(user)


@dataclass(frozen=True)
class TokenOwner:
    """Who an API token belongs to."""

    id: uuid.UUID
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Whether the owner may use the admin API."""
        return self.role == "admin"


def authenticate_token(token: str) -> TokenOwner | None:
    """Return who a bearer token belongs to, or None when the token is unknown."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = db.session.execute(_TOKEN_OWNER, {"digest": _digest(token)}).first()
    return TokenOwner(*found) if found else None


# Every API call asks (a course platform once per completed stage): a statement built once,
# on the tables (a Core statement costs the session half what one on mapped classes does).
_users, _tokens = User.__table__.c, ApiToken.__table__.c
_TOKEN_OWNER = (
    select(_users.id, _users.email, _users.role)
    .select_from(User.__table__.join(ApiToken.__table__, _tokens.user_id == _users.id))
    # A deactivated account's tokens stop working with it.
    .where(_tokens.token_hash == bindparam("digest"), _users.active.is_(True))
)


def ensure_first_admin(email: str, name: str = "Administrator") -> FirstAdmin | None:
    """Create an admin with a random password and a token when there is no admin yet."""
    has_admin = db.session.scalar(select(User.id).where(User.role == "admin").limit(1))
    if has_admin is not None:
        return None
    password = secrets.token_urlsafe(12)
    user = find_user_by_email(email)
    if user is None:
        user = create_user(email, name, role="admin", password=password)
    else:
        user.role = "admin"
        user.password_hash = generate_password_hash(password)
    return FirstAdmin(user=user, password=password, token=_new_token(user))


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not a password anyone has")


def _new_token(user: User) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token)))
    db.session.flush()
    return token


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _valid_email(email: str) -> str:
    try:
        return normalize_email(email)
    except InvalidEmailError as error:
        raise InvalidInputError(str(error), "email") from None
