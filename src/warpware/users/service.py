"""Users and sign-in sessions: creation, password checks, the failed-sign-in limit, session lookup.

Services do not commit; the request (or CLI command) around them does.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from warpware.accounts import repository as accounts_repository
from warpware.accounts.domain import SCOPES, Principal
from warpware.accounts.models import Account
from warpware.errors import Conflict, NotFound, TooManyRequests, Unprocessable
from warpware.kit.clock import utcnow
from warpware.kit.ids import parse_uuid
from warpware.users import domain, repository
from warpware.users.domain import Permission
from warpware.users.models import User, UserSession

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when no user matches, so an unknown email costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-cost")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(session: Session, slug: str) -> Account:
    account = accounts_repository.account_by_slug(session, slug)
    if account is None:
        raise NotFound(f"No account {slug!r}")
    return account


def create_user(
    session: Session, *, account_slug: str, email: str, password: str, role: str, name: str = ""
) -> User:
    """A new user of an existing account; 409 if the email is taken there."""
    try:
        address = domain.normalize_email(email)
        parsed_role = domain.parse_role(role)
        domain.check_password(password)
    except domain.InvalidUser as exc:
        raise Unprocessable(str(exc)) from exc
    account = _account(session, account_slug)
    if repository.user_by_email(session, account.id, address) is not None:
        raise Conflict(f"A user {address} already exists in account {account.slug}")
    user = User(
        account_id=account.id,
        email=address,
        name=name.strip()[:200],
        password_hash=hash_password(password),
        role=parsed_role.value,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, *, account_slug: str) -> list[User]:
    return repository.users_for(session, _account(session, account_slug).id)


@dataclass(frozen=True)
class SignInAttempt:
    """A checked sign-in: the user when the password matched, else a human reason to show."""

    user: User | None
    error: str | None


def check_credentials(
    session: Session, *, email: str, password: str, ip: str, account_slug: str | None = None
) -> SignInAttempt:
    """Check an email and password. A failure is recorded (the caller commits it) and counted against
    email + client address: past LOGIN_FAILURE_LIMIT in LOGIN_FAILURE_WINDOW it raises 429."""
    now = utcnow()
    key = domain.failure_key(email, ip)
    failures = repository.recent_failures(session, key, now - domain.LOGIN_FAILURE_WINDOW)
    if failures >= domain.LOGIN_FAILURE_LIMIT:
        minutes = int(domain.LOGIN_FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyRequests(
            f"Too many failed sign-ins for this email from your address; try again in {minutes} minutes"
        )
    address = email.strip().lower()
    candidates = repository.active_users_by_email(session, address)
    if account_slug:
        candidates = [u for u in candidates if _slug_of(session, u) == account_slug.strip().lower()]
    matched = [u for u in candidates if verify_password(u.password_hash, password)]
    if not candidates:
        verify_password(_DUMMY_HASH, password)
    if len(matched) == 1:
        user = matched[0]
        user.last_login_at = now
        repository.clear_failures(session, key)
        repository.clear_failures(session, key, older_than=now - domain.LOGIN_FAILURE_WINDOW)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return SignInAttempt(user=user, error=None)
    if len(matched) > 1:
        return SignInAttempt(
            user=None, error="This email signs in to several accounts: enter the account as well"
        )
    repository.add_failure(session, key, now)
    return SignInAttempt(user=None, error="Wrong email or password")


def _slug_of(session: Session, user: User) -> str:
    account = session.get(Account, user.account_id)
    return account.slug if account else ""


@dataclass(frozen=True)
class NewSession:
    token: str  # goes in the cookie; only its hash is stored
    record: UserSession


def start_session(session: Session, user: User) -> NewSession:
    now = utcnow()
    token = secrets.token_urlsafe(32)
    record = UserSession(
        token_hash=hash_token(token),
        user_id=user.id,
        account_id=user.account_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=domain.session_expiry(now, now),
    )
    session.add(record)
    session.flush()
    return NewSession(token=token, record=record)


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request's session cookie, with what the dashboard needs to act for them."""

    session_id: str
    user_id: str
    email: str
    name: str
    role: str
    csrf_token: str
    principal: Principal
    needs_touch: bool

    @property
    def actor(self) -> str:
        return f"user:{self.email}"

    def can(self, permission: Permission) -> bool:
        return domain.can(self.role, permission)


def resolve_session(session: Session, token: str | None) -> SignedIn | None:
    """The live session for a cookie token, or None (unknown, revoked, expired, idle, user inactive)."""
    if not token or len(token) > 200:
        return None
    found = repository.session_by_token_hash(session, hash_token(token))
    if found is None:
        return None
    record, user = found
    now = utcnow()
    if (
        record.revoked_at is not None
        or record.expires_at <= now
        or record.last_seen_at + domain.SESSION_IDLE <= now
        or not user.active
        or user.account_id != record.account_id
    ):
        return None
    account = session.get(Account, user.account_id)
    if account is None:
        return None
    principal = Principal(
        account_id=account.id,
        account_slug=account.slug,
        integration_id=None,
        scopes=frozenset(SCOPES),
        home_country=account.home_country,
    )
    return SignedIn(
        session_id=str(record.id),
        user_id=str(user.id),
        email=user.email,
        name=user.name,
        role=user.role,
        csrf_token=record.csrf_token,
        principal=principal,
        needs_touch=now - record.last_seen_at >= domain.SESSION_TOUCH_RESOLUTION,
    )


def touch_session(session: Session, token: str) -> None:
    """Slide the idle expiry forward (at most once per SESSION_TOUCH_RESOLUTION, by the caller)."""
    found = repository.session_by_token_hash(session, hash_token(token))
    if found is None:
        return
    record, _user = found
    now = utcnow()
    repository.touch_session(session, record.id, now, domain.session_expiry(now, record.created_at))


def end_session(session: Session, token: str | None) -> None:
    if token:
        repository.revoke_session(session, hash_token(token), utcnow())


def deactivate_user(session: Session, *, account_slug: str, email: str) -> User:
    account = _account(session, account_slug)
    user = repository.user_by_email(session, account.id, email.strip().lower())
    if user is None:
        raise NotFound(f"No user {email} in account {account_slug}")
    user.active = False
    repository.revoke_sessions_of(session, user.id, utcnow())
    return user


def new_password() -> str:
    """A generated password for the demo user (shown once)."""
    return secrets.token_urlsafe(12)


DEMO_ADMIN_EMAIL = "admin@demo.example"


def ensure_demo_admin(session: Session, *, account_slug: str) -> tuple[str, str] | None:
    """The demo account's admin: (email, generated password) when created now, None if it exists."""
    account = _account(session, account_slug)
    if repository.user_by_email(session, account.id, DEMO_ADMIN_EMAIL) is not None:
        return None
    password = new_password()
    create_user(
        session,
        account_slug=account_slug,
        email=DEMO_ADMIN_EMAIL,
        password=password,
        role=domain.Role.ADMIN.value,
        name="Demo admin",
    )
    return DEMO_ADMIN_EMAIL, password


# --- what an admin does on the Users page (always within the signed-in account) ------------------------


def users_of(session: Session, principal: Principal) -> list[User]:
    return repository.users_for(session, principal.account_id)


def get_user(session: Session, principal: Principal, user_id: str) -> User:
    parsed = parse_uuid(user_id)
    user = repository.user_by_id(session, principal.account_id, parsed) if parsed else None
    if user is None:
        raise NotFound(f"User {user_id} not found")
    return user


def _keep_an_admin(session: Session, principal: Principal, user: User, *, role: str, active: bool) -> None:
    """Refuse a change that would leave the account with no active admin (nobody could manage it)."""
    repository.lock_account_users(session, principal.account_id)
    was_admin = user.active and user.role == domain.Role.ADMIN.value
    stays_admin = active and role == domain.Role.ADMIN.value
    if was_admin and not stays_admin and repository.count_active_admins(session, principal.account_id) <= 1:
        raise Unprocessable(
            f"{user.email} is the account's last admin: make another user an admin first"
        )


def change_role(session: Session, principal: Principal, user_id: str, role: str) -> User:
    user = get_user(session, principal, user_id)
    try:
        parsed_role = domain.parse_role(role)
    except domain.InvalidUser as exc:
        raise Unprocessable(str(exc)) from exc
    _keep_an_admin(session, principal, user, role=parsed_role.value, active=user.active)
    user.role = parsed_role.value
    return user


def set_active(
    session: Session, principal: Principal, user_id: str, *, active: bool, by_user_id: str
) -> User:
    """Deactivate (their sessions end at once) or reactivate a user. Nobody deactivates themselves."""
    user = get_user(session, principal, user_id)
    if not active and str(user.id) == by_user_id:
        raise Unprocessable("You cannot deactivate yourself; ask another admin")
    _keep_an_admin(session, principal, user, role=user.role, active=active)
    user.active = active
    if not active:
        repository.revoke_sessions_of(session, user.id, utcnow())
    return user
