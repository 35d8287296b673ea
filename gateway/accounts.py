"""Staff accounts: create, authenticate, bootstrap the first admin. One transaction per use case."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hemolink.access import ROLES, STAFF
from servicekit.auth import issue_token
from servicekit.errors import Conflict, Unauthorized

from .orm import users
from .passwords import DUMMY_HASH, hash_password, verify_password

STAFF_ROLES = STAFF             # the name gateway.schemas validates against


def create_user(session_factory, *, username: str, password: str, role: str, site_id: str | None = None,
                region: str | None = None) -> dict:
    row = {"username": username, "role": role, "site_id": site_id, "region": region}
    try:
        with session_factory.begin() as session:
            session.execute(users.insert().values(password_hash=hash_password(password),
                                                  created_at=datetime.now(timezone.utc), **row))
    except IntegrityError:
        raise Conflict(f"用户名 {username} 已存在", code="user_exists", title="用户已存在")
    return row


def issue_staff_token(session_factory, secret: str, ttl_s: int, *, username: str, password: str) -> dict:
    with session_factory() as session:
        user = session.execute(select(users).where(users.c.username == username)).first()
    if not verify_password(password, user.password_hash if user else DUMMY_HASH) or user is None:
        raise Unauthorized("用户名或密码错误", code="invalid_credentials", title="登录失败")
    token = issue_token(secret, roles=ROLES, sub=user.username, role=user.role, ttl_s=ttl_s, site_id=user.site_id,
                        region=user.region)
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl_s, "role": user.role,
            "site_id": user.site_id, "region": user.region}


def bootstrap_admin(session_factory, password: str) -> bool:
    """Create user `admin` on first start; an existing admin keeps its password."""
    with session_factory() as session:
        exists = session.execute(select(users.c.username).where(users.c.username == "admin")).first()
    if exists:
        return False
    try:
        create_user(session_factory, username="admin", password=password, role="admin")
    except Conflict:
        return False  # another worker created it first
    return True
