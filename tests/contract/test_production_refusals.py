"""Every service refuses to start in production mode with a development secret or HEMOLINK_DEV_OTP=1,
and starts with strong settings."""
import importlib

import pytest

from servicekit.config import DEV_JWT_SECRET

STRONG = {"environment": "production", "jwt_secret": "j" * 40, "pii_key": "p" * 40}


@pytest.mark.parametrize("service", ["donor", "inventory", "waiver"])
def test_each_service_refuses_production_with_a_weakness_and_starts_without(databases, service, tmp_path):
    create_app = importlib.import_module(f"{service}.app").create_app
    url = databases.new(service, "sqlite")
    extra = {"documents_dir": str(tmp_path / "docs"), "bank_batch_dir": str(tmp_path / "bank")} if service == "waiver" else {}
    assert create_app(database_url=url, **STRONG, **extra) is not None
    for weakness in ({"hemolink_dev_otp": True}, {"jwt_secret": DEV_JWT_SECRET}, {"pii_key": "short"}):
        with pytest.raises(RuntimeError, match="refusing to start in production"):
            create_app(database_url=url, **{**STRONG, **weakness}, **extra)
