"""Only the gateway can mint a token a service accepts: the services verify with the public keys they fetch from
the gateway's JWKS, and nothing a service holds (its configuration, PII_KEY, the public keys themselves) signs a
token that passes."""
from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server

from hemolink.access import ROLES
from servicekit.auth import ISSUER, AUDIENCE, issue_token
from servicekit.broker import free_port
from servicekit.jwks import RemoteKeys, b64url, b64url_decode
from tests.helpers import PII_KEY

# A GET each service answers for a reviewer of SH; only the authentication step matters here.
PROBES = {"donor": "/api/v1/donors?phone=13800000000", "inventory": "/api/v1/sites",
          "waiver": "/api/v1/waiver/claims"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, databases):
    from gateway.app import create_app

    var = tmp_path_factory.mktemp("gateway-var")
    app = create_app(database_url=databases.new("gateway", "sqlite"), pii_key=PII_KEY,
                     jwt_signing_keys_file=str(var / "jwt-signing-keys.json"),
                     kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", hemolink_admin_password="s3cret-admin")
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="module")
def services(gateway, databases, tmp_path_factory):
    _app, base = gateway
    clients = {}
    for name in PROBES:
        extra = {"documents_dir": str(tmp_path_factory.mktemp("docs")),
                 "bank_batch_dir": str(tmp_path_factory.mktemp("bank"))} if name == "waiver" else {}
        app = importlib.import_module(f"{name}.app").create_app(
            database_url=databases.new(name, "sqlite"), pii_key=PII_KEY,
            jwt_jwks_url=f"{base}/api/v1/.well-known/jwks.json", **extra)
        clients[name] = app
    return clients


def _status(app, token: str):
    name = next(n for n in PROBES if app.extensions.get(n))
    resp = app.test_client().get(PROBES[name], headers={"Authorization": f"Bearer {token}"})
    return resp.status_code, (resp.get_json(silent=True) or {}).get("code")


def _hs256(claims: dict, secret: bytes | str, kid: str) -> str:
    """An HS256 token signed by hand: PyJWT itself refuses some of these keys, a forger would not."""
    secret = secret.encode() if isinstance(secret, str) else secret
    signing_input = ".".join(b64url(json.dumps(part).encode())
                             for part in ({"alg": "HS256", "typ": "JWT", "kid": kid}, claims))
    return f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def _claims(**extra) -> dict:
    now = int(time.time())
    return {"sub": "mallory", "role": "reviewer", "region": "SH", "iss": ISSUER, "aud": AUDIENCE, "iat": now,
            "exp": now + 600, **extra}


def test_a_token_the_gateway_signed_is_accepted_by_every_service(gateway, services):
    app, _ = gateway
    token = issue_token(app.flask_app.extensions["gateway"].token_keys, roles=ROLES, sub="r1", role="reviewer",
                        region="SH")
    for service in services.values():
        status, code = _status(service, token)
        assert status != 401 and code not in ("invalid_token", "missing_token"), (status, code)
    # the keys came from the JWKS endpoint: each service holds the gateway's published public keys, no private key
    for name, service in services.items():
        keys = service.config["JWT_KEYS"]
        assert isinstance(keys, RemoteKeys) and keys.fetches >= 1, name
        assert not hasattr(keys, "signing_key"), name


def test_nothing_a_service_holds_mints_a_token_any_service_accepts(gateway, services):
    app, _ = gateway
    published = app.flask_app.extensions["gateway"].token_keys.jwks()["keys"]
    kid = published[0]["kid"]
    public_raw = b64url_decode(published[0]["x"])
    config = services["waiver"].extensions["waiver"].config
    forged = {
        # HS256 keyed with every secret a service's configuration holds
        "hs256 with PII_KEY": _hs256(_claims(), config.pii_key, kid),
        # algorithm confusion: the public key (raw or its JWK Set text) as an HMAC key
        "hs256 with the public key": _hs256(_claims(), public_raw, kid),
        "hs256 with the jwks text": _hs256(_claims(), json.dumps({"keys": published}), kid),
        "hs256 with the jwk's x": _hs256(_claims(), published[0]["x"], kid),
        # no signature at all
        "alg none": jwt.encode(_claims(), None, algorithm="none", headers={"kid": kid}),
        # a key of the forger's own, under the gateway's kid and under a kid of its own
        "own key, gateway's kid": jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA",
                                             headers={"kid": kid}),
        "own key, own kid": jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA",
                                       headers={"kid": "forged-1"}),
        "no kid": jwt.encode(_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA"),
    }
    for label, token in forged.items():
        for name, service in services.items():
            assert _status(service, token) == (401, "invalid_token"), (label, name)


def test_a_token_signed_right_but_for_another_audience_or_expired_is_refused(gateway, services):
    app, _ = gateway
    kid, key = app.flask_app.extensions["gateway"].token_keys.signing_key()
    for label, claims in {"other audience": _claims(aud="another-api"), "expired": _claims(exp=int(time.time()) - 5),
                          "other issuer": _claims(iss="someone-else")}.items():
        token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})
        for name, service in services.items():
            assert _status(service, token) == (401, "invalid_token"), (label, name)
