"""Gateway settings (upstreams, timeouts, limits) from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass

from servicekit.config import PLACEHOLDER, BaseConfig

MIN_ADMIN_PASSWORD_CHARS = 12


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
    # The keyring the gateway alone signs with (gateway/keys.py); created on first start outside production.
    jwt_signing_keys_file: str = "var/jwt-signing-keys.json"
    # How long a rotated-in key is published before it signs: longer than the services' JWKS cache.
    jwt_rotation_lead_s: float = 600.0
    # Revocation reaches the services through token lifetimes (docs/operations.md §Token keys): the gateway
    # refuses a revoked HIS client's token within seconds; a service called directly accepts it at most
    # client_token_ttl_s longer, so HIS tokens are short (a HIS asks for a new one every 5 minutes).
    token_ttl_s: int = 3600
    client_token_ttl_s: int = 300
    donor_token_ttl_s: int = 7 * 24 * 3600
    hemolink_admin_password: str = ""
    rate_limit_per_token: str = "600/minute"
    rate_limit_per_ip: str = "1200/minute"
    # Login codes cost an SMS each. Per phone is the strict limit; per IP is high because a carrier's NAT (and
    # a hospital's or a campus's) puts thousands of phones behind one address; the deployment-wide ceiling
    # bounds what the SMS budget can lose to someone rotating phones and addresses (docs/operations.md).
    rate_limit_otp_per_phone: str = "1/minute;5/hour"
    rate_limit_otp_per_ip: str = "200/hour"
    rate_limit_sms_ceiling: str = "600/minute"
    rate_limit_storage_uri: str = "memory://"
    # Reverse proxies in front of the gateway whose X-Forwarded-For entry is believed (nginx in compose, the
    # ingress controller in Kubernetes): without it every client has the proxy's address in the IP limits.
    # TRUSTED_PROXY_COUNT, its earlier name, is still read (from_env).
    trusted_proxies: int = 0
    # Credential endpoints (ratelimit.AuthThrottle): per IP every attempt counts, separately for each of
    # auth/token and auth/client-token; per username and per HIS client only refusals. auth/donor/token has its
    # own, higher, per-IP budget for the carrier NAT reason above (per phone, five wrong codes lock it).
    rate_limit_auth_per_ip: str = "60/minute"
    rate_limit_donor_token_per_ip: str = "1000/hour"
    rate_limit_login_per_username: str = "10/minute"
    rate_limit_client_token_per_client: str = "10/minute"
    # Where `make simulate` writes its report (inventory.simulate): the console's 调剂 tab shows its plots.
    simulation_dir: str = "var/simulation"
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_connect_timeout_s: float = 2.0
    sms_read_timeout_s: float = 5.0

    @classmethod
    def from_env(cls, environ=None, **overrides):
        env = os.environ if environ is None else environ
        if "TRUSTED_PROXIES" not in env and "TRUSTED_PROXY_COUNT" in env and "trusted_proxies" not in overrides:
            overrides["trusted_proxies"] = int(env["TRUSTED_PROXY_COUNT"])
        return super().from_env(environ, **overrides)

    @property
    def max_token_ttl_s(self) -> int:
        """The longest a token the gateway issued may stay valid: how long a superseded key stays published."""
        return max(self.token_ttl_s, self.client_token_ttl_s, self.donor_token_ttl_s)

    def production_problems(self) -> list[str]:
        problems = super().production_problems() + self._admin_password_problems()
        if PLACEHOLDER in self.hemolink_admin_password:
            problems.append(f"HEMOLINK_ADMIN_PASSWORD still holds the {PLACEHOLDER} placeholder of the env example")
        problems += self._shared_state_problems()
        if not self.sms_gateway_url:
            problems.append("SMS_GATEWAY_URL must be set (donor login codes are sent by SMS)")
        elif not self.sms_gateway_url.startswith(("https://", "http://")):
            problems.append("SMS_GATEWAY_URL must be an http(s) URL")
        return problems

    def _shared_state_problems(self) -> list[str]:
        problems = []
        if not self.rate_limit_storage_uri.startswith(("redis://", "rediss://", "redis+sentinel://")):
            problems.append("RATE_LIMIT_STORAGE_URI must be a redis:// URL: per-process counters multiply the limits "
                            "by the number of gateway processes")
        if PLACEHOLDER in self.rate_limit_storage_uri:
            problems.append(f"RATE_LIMIT_STORAGE_URI still holds the {PLACEHOLDER} placeholder of the env example")
        if self.trusted_proxies < 1:
            problems.append("TRUSTED_PROXIES must be at least 1 (the reverse proxies in front of the gateway): "
                            "otherwise every client shares the proxy's address in the per-IP limits")
        return problems

    def _admin_password_problems(self) -> list[str]:
        password = self.hemolink_admin_password
        if not password:
            return ["HEMOLINK_ADMIN_PASSWORD must be set"]
        if password == "admin" or len(password) < MIN_ADMIN_PASSWORD_CHARS:
            return [f"HEMOLINK_ADMIN_PASSWORD must not be 'admin' and must have at least "
                    f"{MIN_ADMIN_PASSWORD_CHARS} characters"]
        return []

    def keyring_problems(self) -> list[str]:
        """Read at start rather than with the settings: the file is a mounted secret, not an environment value."""
        if self.is_production and not os.path.isfile(self.jwt_signing_keys_file):
            return [f"JWT_SIGNING_KEYS_FILE {self.jwt_signing_keys_file} does not exist (python -m gateway.keys rotate "
                    "--file … creates one; production never generates its own)"]
        return []

    def upstreams(self) -> dict[str, str]:
        return {"donor": self.donor_url, "inventory": self.inventory_url, "waiver": self.waiver_url}
