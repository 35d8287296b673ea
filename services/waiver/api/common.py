"""What every waiver view needs: its collaborators, the clock, and who is calling."""
from __future__ import annotations

from flask import current_app

from servicekit.auth import Principal, current_principal
from servicekit.errors import Forbidden


def deps():
    return current_app.extensions["waiver"]


def now():
    return deps().clock()


def hospital_site() -> Principal:
    """A hospital caller with its site: deductions and settlements are per site."""
    principal = current_principal()
    if not principal.site_id:
        raise Forbidden("医院令牌缺少 site_id", code="missing_site")
    return principal


def donor() -> Principal:
    principal = current_principal()
    if not principal.donor_id:
        raise Forbidden("献血者令牌缺少 donor_id", code="missing_donor")
    return principal


def reviewer() -> Principal:
    principal = current_principal()
    if not principal.region:
        raise Forbidden("审核员令牌缺少 region", code="missing_region")
    return principal
