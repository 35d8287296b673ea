"""Gateway entrypoint: `create_app()` returns a WSGI app that proxies routed paths and serves its own."""
from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix

from hemolink.access import ROLES
from servicekit.web import create_app as build_app

from . import accounts, api, api_login, console, donor_page, routes
from .clients import RevocationList
from .donor_directory import DonorDirectory
from .site_directory import SiteDirectory
from .openapi import SpecCache, make_docs_blueprint
from .ratelimit import AuthThrottle, OtpLimits, RateLimiter
from .sms import make_sender
from .config import Config
from .keys import Keyring, ensure_keyring
from .proxy import Proxy


class GatewayApp:
    """Dispatches before Flask: routed paths go to the bare proxy, the rest to the Flask app."""

    def __init__(self, flask_app, proxy: Proxy, trusted_proxies: int = 0):
        self.flask_app = flask_app
        self.proxy = proxy
        # Behind N trusted proxies the client is the Nth address from the right of X-Forwarded-For; werkzeug's
        # ProxyFix puts it in REMOTE_ADDR for the limits; the proxied calls get the received header appended to.
        self._entry = ProxyFix(self._dispatch, x_for=trusted_proxies, x_proto=trusted_proxies) \
            if trusted_proxies else self._dispatch

    def __call__(self, environ, start_response):
        return self._entry(environ, start_response)

    def _dispatch(self, environ, start_response):
        matched = routes.match_route(environ.get("PATH_INFO", ""))
        if matched is None:
            return self.flask_app(environ, start_response)
        prefix, upstream = matched
        return self.proxy(environ, start_response, upstream, prefix)

    def test_client(self):
        from werkzeug.test import Client
        from werkzeug.wrappers import Response

        return Client(self, Response)


def create_app(config: Config | None = None, **overrides) -> GatewayApp:
    config = config or Config.from_env(**overrides)
    config.check_secrets()
    if config.keyring_problems():
        raise RuntimeError("refusing to start in production: " + "; ".join(config.keyring_problems()))
    if not config.is_production:
        ensure_keyring(config.jwt_signing_keys_file)     # make up: a key of its own on first start (var/)
    keyring = Keyring(config.jwt_signing_keys_file)
    # Audit covers only the gateway's own endpoints: proxied requests never reach Flask and each service audits
    # its own.
    flask_app = build_app(__name__, config, title="Hemolink API gateway", roles=ROLES,
                          blueprints=[api.blp, api_login.blp], log_name="gateway", extras=_dependencies,
                          token_keys=keyring)
    deps = flask_app.extensions["gateway"]
    flask_app.register_blueprint(make_docs_blueprint(deps.api, SpecCache(config.upstreams(), deps.proxy.http)))
    flask_app.register_blueprint(console.bp)
    flask_app.register_blueprint(donor_page.bp)
    accounts.bootstrap_admin(deps.session_factory, config.hemolink_admin_password or "admin")
    return GatewayApp(flask_app, deps.proxy, config.trusted_proxies)


def _dependencies(deps) -> dict:
    config = deps.config
    limiter = RateLimiter(per_token=config.rate_limit_per_token, per_ip=config.rate_limit_per_ip,
                          storage_uri=config.rate_limit_storage_uri)
    proxy = Proxy(config.upstreams(), token_keys=deps.token_keys,
                  connect_timeout_s=config.upstream_connect_timeout_s,
                  read_timeout_s=config.upstream_read_timeout_s, max_body_bytes=config.max_body_bytes,
                  limiter=limiter, revocations=RevocationList(deps.session_factory))
    return dict(
        proxy=proxy, limiter=limiter, sms=make_sender(config),
        donors=DonorDirectory(config.donor_url, deps.token_keys, proxy.http),
        sites=SiteDirectory(config.inventory_url, deps.token_keys, proxy.http),
        otp_limits=OtpLimits(limiter, per_phone=config.rate_limit_otp_per_phone,
                             per_ip=config.rate_limit_otp_per_ip, ceiling=config.rate_limit_sms_ceiling),
        auth_throttle=AuthThrottle(limiter, per_ip=config.rate_limit_auth_per_ip,
                                   per_username=config.rate_limit_login_per_username,
                                   per_client=config.rate_limit_client_token_per_client,
                                   per_donor_ip=config.rate_limit_donor_token_per_ip),
    )
