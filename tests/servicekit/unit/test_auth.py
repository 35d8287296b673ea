"""Token verification: a token's signature is checked once, and what was verified is kept no longer than
the token itself is valid."""
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servicekit import auth
from servicekit.errors import Unauthorized
from servicekit.jwks import StaticKeys, public_jwk
from tests.helpers import SIGNER, TEST_KEYS

ROLES = ("admin", "station", "hospital", "donor")   # servicekit is given the roles; these are the test's


def test_a_token_is_verified_once_then_answered_from_what_was_verified(monkeypatch):
    token = auth.issue_token(SIGNER, roles=ROLES, sub="u1", role="station", site_id="S1")
    calls = []
    real = jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = auth.verify_token(TEST_KEYS, token, ROLES)
    again = [auth.verify_token(TEST_KEYS, token, ROLES) for _ in range(5)]
    assert first.site_id == "S1" and all(p == first for p in again)
    assert len(calls) == 1


def test_a_verified_token_is_refused_once_it_has_expired():
    token = auth.issue_token(SIGNER, roles=ROLES, sub="u2", role="hospital", ttl_s=1)
    assert auth.verify_token(TEST_KEYS, token, ROLES).sub == "u2"
    time.sleep(2.1)
    with pytest.raises(Unauthorized):
        auth.verify_token(TEST_KEYS, token, ROLES)


def test_what_was_verified_under_one_key_set_says_nothing_under_another():
    token = auth.issue_token(SIGNER, roles=ROLES, sub="u3", role="admin")
    auth.verify_token(TEST_KEYS, token, ROLES)
    other = StaticKeys({"keys": [public_jwk("test-issuer-1", Ed25519PrivateKey.generate())]})
    with pytest.raises(Unauthorized):
        auth.verify_token(other, token, ROLES)


def test_a_tampered_copy_of_a_verified_token_is_refused():
    token = auth.issue_token(SIGNER, roles=ROLES, sub="u4", role="donor", donor_id="d4")
    auth.verify_token(TEST_KEYS, token, ROLES)
    header, payload, signature = token.split(".")
    forged = jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "role": "admin"}, "a-guessed-key-of-at-least-32-bytes!!",
                        algorithm="HS256").split(".")[1]
    with pytest.raises(Unauthorized):
        auth.verify_token(TEST_KEYS, ".".join((header, forged, signature)), ROLES)


def test_invalid_tokens_are_not_kept_and_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 3)
    monkeypatch.setattr(auth, "_verified", {})
    with pytest.raises(Unauthorized):
        auth.verify_token(TEST_KEYS, "not.a.token", ROLES)
    assert auth._verified == {}
    tokens = [auth.issue_token(SIGNER, roles=ROLES, sub=f"u{i}", role="station") for i in range(5)]
    for t in tokens:
        auth.verify_token(TEST_KEYS, t, ROLES)
    assert [k[1] for k in auth._verified] == tokens[-3:]
