"""Gateway settings (upstreams, timeouts, limits) from the environment."""
from __future__ import annotations

from dataclasses import dataclass

from servicekit.config import BaseConfig

MIN_JWT_SECRET_BYTES = 32      # HS256 keys shorter than the hash output can be brute-forced offline
MIN_ADMIN_PASSWORD_CHARS = 12
PLACEHOLDER = "CHANGE_ME"      # what deploy/env/*.env.example ship; copied verbatim it is public knowledge


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
    # Credential endpoints (ratelimit.AuthThrottle): per IP every attempt counts, separately for each of
    # auth/token, auth/client-token and auth/donor/token; per username and per HIS client only refusals.
    rate_limit_auth_per_ip: str = "60/minute"
    rate_limit_login_per_username: str = "10/minute"
    rate_limit_client_token_per_client: str = "10/minute"
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_connect_timeout_s: float = 2.0
    sms_read_timeout_s: float = 5.0

    def check_secrets(self) -> None:
        super().check_secrets()
        if self.is_production:
            problems = self.production_problems()
            if problems:
                raise RuntimeError("refusing to start in production: " + "; ".join(problems))

    def production_problems(self) -> list[str]:
        """Everything that makes this configuration unsafe to serve the public with (empty when fine)."""
        problems = []
        if self.hemolink_dev_otp:
            problems.append("HEMOLINK_DEV_OTP=1 returns login codes in responses")
        if len(self.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
            problems.append(f"JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes")
        problems.extend(self._admin_password_problems())
        if any(v.startswith(PLACEHOLDER) for v in (self.jwt_secret, self.pii_key, self.hemolink_admin_password)):
            problems.append(f"a secret still holds the {PLACEHOLDER} placeholder of the env example")
        if not self.sms_gateway_url:
            problems.append("SMS_GATEWAY_URL must be set (donor login codes are sent by SMS)")
        elif not self.sms_gateway_url.startswith(("https://", "http://")):
            problems.append("SMS_GATEWAY_URL must be an http(s) URL")
        return problems

    def _admin_password_problems(self) -> list[str]:
        password = self.hemolink_admin_password
        if not password:
            return ["HEMOLINK_ADMIN_PASSWORD must be set"]
        if password == "admin" or len(password) < MIN_ADMIN_PASSWORD_CHARS:
            return [f"HEMOLINK_ADMIN_PASSWORD must not be 'admin' and must have at least "
                    f"{MIN_ADMIN_PASSWORD_CHARS} characters"]
        return []

    def upstreams(self) -> dict[str, str]:
        return {"donor": self.donor_url, "inventory": self.inventory_url, "waiver": self.waiver_url}
