"""Staff accounts: create, authenticate, bootstrap the first admin. One transaction per use case.

`python -m gateway.accounts check` reports the site users and HIS clients whose region is not their site's
(accounts created before the gateway took the region from the site) and exits 1 if there are any.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hemolink.access import ROLES, STAFF
from servicekit.auth import issue_token
from servicekit.errors import Conflict, DomainError, Unauthorized

from .keys import Keyring
from .orm import his_clients, users
from .passwords import DUMMY_HASH, hash_password, verify_password
from .site_directory import SITE_ROLES, site_region

STAFF_ROLES = STAFF             # the name gateway.schemas validates against
SiteLookup = Callable[[str], "dict | None"]     # site id → the inventory service's site, None if not registered


def create_user(session_factory, site_of: SiteLookup, *, username: str, password: str, role: str,
                site_id: str | None = None, region: str | None = None) -> dict:
    """A station or hospital user carries its site's region (left out: taken from it; another: 422)."""
    region = site_region(role, site_id, region, site_of(site_id) if role in SITE_ROLES else None)
    row = {"username": username, "role": role, "site_id": site_id, "region": region}
    try:
        with session_factory.begin() as session:
            session.execute(users.insert().values(password_hash=hash_password(password),
                                                  created_at=datetime.now(timezone.utc), **row))
    except IntegrityError:
        raise Conflict(f"用户名 {username} 已存在", code="user_exists", title="用户已存在")
    return row


def issue_staff_token(session_factory, signer, ttl_s: int, *, username: str, password: str) -> dict:
    with session_factory() as session:
        user = session.execute(select(users).where(users.c.username == username)).first()
    if not verify_password(password, user.password_hash if user else DUMMY_HASH) or user is None:
        raise Unauthorized("用户名或密码错误", code="invalid_credentials", title="登录失败")
    token = issue_token(signer, roles=ROLES, sub=user.username, role=user.role, ttl_s=ttl_s, site_id=user.site_id,
                        region=user.region)
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl_s, "role": user.role,
            "site_id": user.site_id, "region": user.region}


def region_problems(session_factory, site_of: SiteLookup) -> list[str]:
    """Every site user and HIS client whose stored region is not what its site says, one line each."""
    with session_factory() as session:
        accounts = [("user", r.username, r.role, r.site_id, r.region) for r in session.execute(
            select(users).where(users.c.role.in_(SITE_ROLES)).order_by(users.c.username))]
        accounts += [("his client", r.client_id, "hospital", r.site_id, r.region) for r in session.execute(
            select(his_clients).order_by(his_clients.c.client_id))]
    problems = []
    for kind, name, role, site_id, region in accounts:
        try:
            expected = site_region(role, site_id, None, site_of(site_id))
        except DomainError as error:
            problems.append(f"{kind} {name}: {error.detail} ({site_id})")
            continue
        if expected != region:
            problems.append(f"{kind} {name}: region {region}, but site {site_id} is in {expected}")
    return problems


def bootstrap_admin(session_factory, password: str) -> bool:
    """Create user `admin` on first start; an existing admin keeps its password."""
    with session_factory() as session:
        exists = session.execute(select(users.c.username).where(users.c.username == "admin")).first()
    if exists:
        return False
    try:
        create_user(session_factory, lambda _site_id: None, username="admin", password=password, role="admin")
    except Conflict:
        return False  # another worker created it first
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m gateway.accounts check` with the gateway's DATABASE_URL, INVENTORY_URL and JWT_SIGNING_KEYS_FILE."""
    import urllib3

    from servicekit.db import make_engine, make_session_factory

    from .config import Config
    from .site_directory import SiteDirectory

    args = sys.argv[1:] if argv is None else argv
    if args != ["check"]:
        print("usage: python -m gateway.accounts check", file=sys.stderr)
        return 2
    config = Config.from_env()
    engine = make_engine(config.database_url)
    directory = SiteDirectory(config.inventory_url, Keyring(config.jwt_signing_keys_file), urllib3.PoolManager())
    problems = region_problems(make_session_factory(engine), directory.get)
    engine.dispose()
    for line in problems:
        print(line)
    print(f"{len(problems)} account(s) whose region is not their site's")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
