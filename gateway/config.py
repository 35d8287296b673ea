"""Gateway settings (upstreams, timeouts, limits) from the environment."""
from __future__ import annotations

from dataclasses import dataclass

from servicekit.config import BaseConfig


@dataclass(frozen=True)
class Config(BaseConfig):
    service_name: str = "gateway"
    database_url: str = "sqlite:///var/gateway.db"
    donor_url: str = "http://127.0.0.1:8101"
    inventory_url: str = "http://127.0.0.1:8102"
    waiver_url: str = "http://127.0.0.1:8103"
    upstream_connect_timeout_s: float = 2.0
    upstream_read_timeout_s: float = 30.0
    max_body_bytes: int = 11 * 1024 * 1024
    token_ttl_s: int = 3600
    client_token_ttl_s: int = 900
    donor_token_ttl_s: int = 7 * 24 * 3600
    hemolink_admin_password: str = ""
    hemolink_dev_otp: bool = False
    rate_limit_per_token: str = "600/minute"
    rate_limit_per_ip: str = "1200/minute"
    rate_limit_otp_per_phone: str = "1/minute;5/hour"
    rate_limit_otp_per_ip: str = "20/hour"
    rate_limit_storage_uri: str = "memory://"

    def check_secrets(self) -> None:
        super().check_secrets()
        if self.is_production and self.hemolink_dev_otp:
            raise RuntimeError("refusing to start in production with HEMOLINK_DEV_OTP=1")
        if self.is_production and not self.hemolink_admin_password:
            raise RuntimeError("HEMOLINK_ADMIN_PASSWORD must be set in production")

    def upstreams(self) -> dict[str, str]:
        return {"donor": self.donor_url, "inventory": self.inventory_url, "waiver": self.waiver_url}
