"""Personal identifiers: encrypted at rest, looked up by an HMAC blind index, shown masked.

Encryption keys have ids. A value is stored as `<key id>:<Fernet token>`, the Fernet key derived (HKDF-SHA256,
its own `info`) from the root secret of that id: PII_KEY under PII_KEY_ID for new values, PII_OLD_KEYS
(`id=secret,…`) kept for reading until `python -m servicekit.keys rotate <service>` has re-encrypted everything
under the current id. Values written before key ids (a bare Fernet token) are read with the derivation they were
written with. The blind index has a key of its own, PII_INDEX_KEY (by default PII_KEY, derived as it always was),
because every service must compute the same index: it is not rotated with the encryption key (docs/operations.md
§Data keys has the re-keying plan).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Mapping

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEPARATOR = ":"           # never in a Fernet token (URL-safe base64) nor, by check, in a key id


def _hkdf(root: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root)


def _fernet(key: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(key))


def parse_old_keys(text: str) -> dict[str, str]:
    """`id=secret,id=secret` (PII_OLD_KEYS) → {id: secret}."""
    keys = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kid, sep, secret = item.partition("=")
        if not sep or not kid or not secret:
            raise ValueError("PII_OLD_KEYS must be id=secret pairs separated by commas")
        keys[kid.strip()] = secret
    return keys


class PiiVault:
    """Encrypts under the current key id, decrypts under any known one; indexes with the index key."""

    def __init__(self, secret: str, *, key_id: str = "k1", old_keys: Mapping[str, str] | None = None,
                 index_secret: str | None = None):
        if not key_id or SEPARATOR in key_id:
            raise ValueError(f"a key id must be non-empty and without {SEPARATOR!r}")
        roots = {**(old_keys or {}), key_id: secret}
        self.key_id = key_id
        self._ciphers = {kid: _fernet(_hkdf(root.encode(), b"hemolink/pii-encryption/v1"))
                         for kid, root in roots.items()}
        # Values from before key ids: the derivation they were written with, under every root still known.
        self._legacy = [_fernet(hmac.new(root.encode(), b"encrypt", hashlib.sha256).digest()) for root in roots.values()]
        self._index_key = hmac.new((index_secret or secret).encode(), b"blind-index", hashlib.sha256).digest()
        self._root = secret.encode()

    @classmethod
    def from_config(cls, config) -> "PiiVault":
        return cls(config.pii_key, key_id=config.pii_key_id, old_keys=parse_old_keys(config.pii_old_keys),
                   index_secret=config.pii_index_key or None)

    def derived_key(self, purpose: bytes) -> bytes:
        """A key of its own for another use of the same secret (the gateway's login-code hashes)."""
        return hmac.new(self._root, purpose, hashlib.sha256).digest()

    def encrypt(self, value: str) -> str:
        return f"{self.key_id}{SEPARATOR}{self._ciphers[self.key_id].encrypt(value.encode()).decode()}"

    def decrypt(self, stored: str) -> str:
        kid, sep, token = stored.partition(SEPARATOR)
        if sep:
            cipher = self._ciphers.get(kid)
            if cipher is None:
                raise KeyError(f"PII key {kid!r} is not configured (PII_KEY_ID / PII_OLD_KEYS)")
            return cipher.decrypt(token.encode()).decode()
        for cipher in self._legacy:
            try:
                return cipher.decrypt(stored.encode()).decode()
            except InvalidToken:
                continue
        raise InvalidToken()

    def key_id_of(self, stored: str) -> str | None:
        """The key id a stored value is under (None: written before key ids)."""
        kid, sep, _token = stored.partition(SEPARATOR)
        return kid if sep else None

    def reencrypt(self, stored: str) -> str:
        """The value under the current key (unchanged when it already is)."""
        return stored if self.key_id_of(stored) == self.key_id else self.encrypt(self.decrypt(stored))

    def blind_index(self, value: str) -> str:
        normalised = value.strip().upper()
        return hmac.new(self._index_key, normalised.encode(), hashlib.sha256).hexdigest()


def mask(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """`310***********1234` for an 18-character ID; short values are masked almost entirely."""
    value = value.strip()
    if len(value) <= keep_start + keep_end:
        return value[:1] + "*" * (len(value) - 1)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
