"""Helpers shared by tests: tokens, polling, valid national IDs."""
from __future__ import annotations

import hashlib
import json
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hemolink.access import ROLES
from servicekit.auth import issue_token
from servicekit.config import DEV_PII_KEY
from servicekit.jwks import StaticKeys, public_jwk

PII_KEY = DEV_PII_KEY

# The test issuer: one fixed Ed25519 key. Services under test are configured with its public half
# (SERVICE_KEYS), the gateway under test signs with it (GATEWAY_KEYS), and token() mints with it.
TEST_KID = "test-issuer-1"
TEST_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"hemolink test issuer").digest())
PUBLIC_KEYS = json.dumps({"keys": [public_jwk(TEST_KID, TEST_KEY)]})
TEST_KEYS = StaticKeys(PUBLIC_KEYS)     # what verify_token checks test tokens with


class TestSigner:
    __test__ = False

    def signing_key(self):
        return TEST_KID, TEST_KEY


SIGNER = TestSigner()


@lru_cache(maxsize=None)
def keyring_file() -> str:
    """The test key as a gateway keyring file (gateway/keys.py), written once per test process."""
    from gateway.keys import key_entry, write_entries

    path = Path(tempfile.mkdtemp(prefix="hemolink-keys-")) / "jwt-signing-keys.json"
    write_entries(str(path), [key_entry(TEST_KEY, 0, kid=TEST_KID)])
    return str(path)


SERVICE_KEYS = {"jwt_public_keys": PUBLIC_KEYS}


def gateway_keys() -> dict:
    return {"jwt_signing_keys_file": keyring_file()}


def token(role: str, sub: str | None = None, **claims) -> str:
    return issue_token(SIGNER, roles=ROLES, sub=sub or f"{role}-user", role=role, **claims)


def auth(role: str, **claims) -> dict:
    return {"Authorization": f"Bearer {token(role, **claims)}"}


def wait_until(predicate, timeout_s: float = 20.0, interval_s: float = 0.1):
    """Poll for an eventual effect with a generous deadline; returns the truthy value."""
    stop_at = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > stop_at:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(interval_s)


# Valid GB 11643 numbers (check characters computed, real dates) for tests.
def make_national_id(birth: str = "19900101", region: str = "310104", seq: int = 12, female: bool = False) -> str:
    from donor.model import gb11643_check_char

    seq3 = seq * 2 + (0 if female else 1)
    first17 = f"{region}{birth}{seq3 % 1000:03d}"
    return first17 + gb11643_check_char(first17)


# The demo network of the integration tests and the ownership walk: id, kind, region, supplier, lat, lon.
NETWORK = [
    ("SH-S1", "station", "SH", None, 31.2000, 121.4500),
    ("SH-S2", "station", "SH", None, 31.0300, 121.2300),
    ("SH-H1", "hospital", "SH", "SH-S1", 31.2120, 121.4670),
    ("SH-H2", "hospital", "SH", "SH-S2", 31.0500, 121.2500),
    ("JS-S1", "station", "JS", None, 32.0600, 118.7900),
    ("JS-S2", "station", "JS", None, 31.3000, 120.6000),
]
