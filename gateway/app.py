"""Gateway entrypoint: `create_app()` returns a WSGI app that proxies routed paths and serves its own."""
from __future__ import annotations

from types import SimpleNamespace

from hemolink.access import ROLES
from servicekit.audit import install_audit
from servicekit.db import make_engine, make_session_factory
from servicekit.logs import configure_logging
from servicekit.web import create_service_app

from limits import parse, parse_many

from servicekit.pii import PiiVault

from . import accounts, api, api_login, console, routes
from .clients import RevocationList
from .donor_directory import DonorDirectory
from .openapi import SpecCache, make_docs_blueprint
from .ratelimit import AuthThrottle, RateLimiter
from .sms import make_sender
from .config import Config
from .proxy import Proxy


class GatewayApp:
    """Dispatches before Flask: routed paths go to the bare proxy, the rest to the Flask app."""

    def __init__(self, flask_app, proxy: Proxy):
        self.flask_app = flask_app
        self.proxy = proxy

    def __call__(self, environ, start_response):
        upstream = routes.match(environ.get("PATH_INFO", ""))
        if upstream is None:
            return self.flask_app(environ, start_response)
        return self.proxy(environ, start_response, upstream)

    def test_client(self):
        from werkzeug.test import Client
        from werkzeug.wrappers import Response

        return Client(self, Response)


def create_app(config: Config | None = None, **overrides) -> GatewayApp:
    config = config or Config.from_env(**overrides)
    config.check_secrets()
    configure_logging("gateway", config.log_level)
    engine = make_engine(config.database_url)
    session_factory = make_session_factory(engine)
    flask_app, smorest = create_service_app(__name__, config, engine, title="Hemolink API gateway", roles=ROLES)
    smorest.register_blueprint(api.blp)
    smorest.register_blueprint(api_login.blp)
    # Only the gateway's own endpoints: proxied requests never reach Flask and each service audits its own.
    install_audit(flask_app, session_factory, config.service_name)
    limiter = RateLimiter(per_token=config.rate_limit_per_token, per_ip=config.rate_limit_per_ip,
                          storage_uri=config.rate_limit_storage_uri)
    proxy = Proxy(config.upstreams(), jwt_secret=config.jwt_secret,
                  connect_timeout_s=config.upstream_connect_timeout_s,
                  read_timeout_s=config.upstream_read_timeout_s, max_body_bytes=config.max_body_bytes,
                  limiter=limiter, revocations=RevocationList(session_factory))
    flask_app.register_blueprint(make_docs_blueprint(smorest, SpecCache(config.upstreams(), proxy.http)))
    flask_app.register_blueprint(console.bp)
    flask_app.extensions["gateway"] = SimpleNamespace(
        config=config, session_factory=session_factory, proxy=proxy, limiter=limiter,
        vault=PiiVault(config.pii_key), sms=make_sender(config),
        donors=DonorDirectory(config.donor_url, config.jwt_secret, proxy.http),
        otp_per_phone=parse_many(config.rate_limit_otp_per_phone),
        otp_per_ip=parse(config.rate_limit_otp_per_ip),
        auth_throttle=AuthThrottle(limiter, per_ip=config.rate_limit_auth_per_ip,
                                   per_username=config.rate_limit_login_per_username,
                                   per_client=config.rate_limit_client_token_per_client),
    )
    accounts.bootstrap_admin(session_factory, config.hemolink_admin_password or "admin")
    return GatewayApp(flask_app, proxy)
