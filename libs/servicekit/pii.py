"""Personal identifiers: encrypted at rest, looked up by an HMAC blind index, shown masked."""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet


class PiiVault:
    """Derives two independent keys from PII_KEY: one to encrypt, one to index."""

    def __init__(self, secret: str):
        root = secret.encode()
        self._fernet = Fernet(base64.urlsafe_b64encode(hmac.new(root, b"encrypt", hashlib.sha256).digest()))
        self._index_key = hmac.new(root, b"blind-index", hashlib.sha256).digest()
        self._root = root

    def derived_key(self, purpose: bytes) -> bytes:
        """A key of its own for another use of the same secret (the gateway's login-code hashes)."""
        return hmac.new(self._root, purpose, hashlib.sha256).digest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def blind_index(self, value: str) -> str:
        normalised = value.strip().upper()
        return hmac.new(self._index_key, normalised.encode(), hashlib.sha256).hexdigest()


def mask(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """`310***********1234` for an 18-character ID; short values are masked almost entirely."""
    value = value.strip()
    if len(value) <= keep_start + keep_end:
        return value[:1] + "*" * (len(value) - 1)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
