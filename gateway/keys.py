"""The gateway's token signing keys: a keyring file of Ed25519 keys with key ids (JWT_SIGNING_KEYS_FILE).

Only the gateway reads this file. It signs with one key and publishes the public half of every key in the
file at /api/v1/.well-known/jwks.json, which the services fetch and cache (servicekit.jwks). Rotation keeps an
overlap so that no valid token is refused at any point:

    python -m gateway.keys rotate    # adds a key that starts signing JWT_ROTATION_LEAD_S later (default 600 s,
                                     # longer than the services' JWKS cache): published everywhere before it signs
    python -m gateway.keys retire    # drops keys superseded longer ago than the longest token lifetime
    python -m gateway.keys list
    python -m gateway.keys rotate --file PATH   # where no keyring exists yet: creates one (a new deployment)

Running gateways re-read the file when it changes (a Kubernetes secret volume is updated in place), so neither
step needs a restart. A compromised key: `rotate --now`, then `retire --kid <old> --now` (its tokens die at
once). docs/operations.md §Token keys is the runbook.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from servicekit.jwks import b64url, b64url_decode, public_jwk

RELOAD_CHECK_S = 5.0


def new_key(signs_from: float) -> dict:
    key = Ed25519PrivateKey.generate()
    return key_entry(key, signs_from)


def key_entry(key: Ed25519PrivateKey, signs_from: float, kid: str | None = None) -> dict:
    return {**public_jwk(kid or f"hl-{datetime.now(timezone.utc):%Y%m%d}-{secrets.token_hex(4)}", key),
            "d": b64url(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())),
            "signs_from": int(signs_from)}


def signing_entry(entries: list[dict], now: float) -> dict:
    """The newest key whose signing time has come (before any has: the earliest)."""
    started = [e for e in entries if e["signs_from"] <= now]
    return max(started, key=lambda e: e["signs_from"]) if started else min(entries, key=lambda e: e["signs_from"])


def read_entries(path: str) -> list[dict]:
    entries = json.loads(Path(path).read_text(encoding="utf-8"))["keys"]
    if not entries:
        raise ValueError(f"{path} holds no signing key")
    return entries


def write_entries(path: str, entries: list[dict], *, exclusive: bool = False) -> None:
    """Write the keyring readable by its owner only; replaced atomically (a gateway never reads half a file).
    `exclusive`: create it only if it does not exist (two workers starting at once make one keyring)."""
    text = json.dumps({"keys": entries}, indent=2)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)


def ensure_keyring(path: str) -> bool:
    """Create a keyring with one signing key where none exists (the local `make up`); True when created."""
    if Path(path).exists():
        return False
    try:
        write_entries(path, [new_key(0)], exclusive=True)
    except FileExistsError:
        return False
    return True


class Keyring:
    """The loaded keyring: `signing_key()` for servicekit.auth.issue_token, `public_key(kid)` for verifying the
    gateway's own tokens, `jwks()` for the endpoint. Re-read when the file's modification time changes."""

    def __init__(self, path: str, reload_check_s: float = RELOAD_CHECK_S):
        self.path = path
        self.reload_check_s = reload_check_s
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._mtime = None
        self._load()

    def _load(self) -> None:
        stat = os.stat(self.path)
        entries = read_entries(self.path)
        self._entries = entries
        self._private = {e["kid"]: Ed25519PrivateKey.from_private_bytes(b64url_decode(e["d"])) for e in entries}
        self._public: dict[str, Ed25519PublicKey] = {kid: k.public_key() for kid, k in self._private.items()}
        self._jwks = {"keys": [public_jwk(e["kid"], self._private[e["kid"]]) for e in entries]}
        self._mtime = stat.st_mtime_ns

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.reload_check_s:
            return
        with self._lock:
            if now - self._checked_at < self.reload_check_s:
                return
            self._checked_at = now
            try:
                if os.stat(self.path).st_mtime_ns != self._mtime:
                    self._load()
            except (OSError, ValueError, KeyError):
                pass                        # a keyring being replaced: keep signing with the one loaded

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        self._maybe_reload()
        kid = signing_entry(self._entries, time.time())["kid"]
        return kid, self._private[kid]

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        self._maybe_reload()
        return self._public.get(kid)

    def jwks(self) -> dict:
        self._maybe_reload()
        return self._jwks


def rotate(path: str, lead_s: float, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    entries = read_entries(path)
    entry = new_key(now + lead_s)
    write_entries(path, entries + [entry])
    return entry


def retire(path: str, max_token_ttl_s: float, *, kid: str | None = None, now: float | None = None) -> list[str]:
    """Drop keys no valid token can still carry: superseded by a key signing for longer than the longest token
    lifetime. `kid` with max_token_ttl_s=0: drop that key at once (compromised), never the signing key."""
    now = time.time() if now is None else now
    entries = read_entries(path)
    signing = signing_entry(entries, now)
    superseded_for = now - signing["signs_from"]
    dropped = [e["kid"] for e in entries if e is not signing and e["signs_from"] < signing["signs_from"]
               and superseded_for >= max_token_ttl_s and (kid is None or e["kid"] == kid)]
    if kid is not None and kid == signing["kid"]:
        raise SystemExit(f"{kid} is the signing key: rotate first")
    if dropped:
        write_entries(path, [e for e in entries if e["kid"] not in dropped])
    return dropped


def describe(path: str, now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    entries = read_entries(path)
    signing = signing_entry(entries, now)["kid"]
    return [f"{e['kid']}  signs from {datetime.fromtimestamp(e['signs_from'], timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
            f"{'  (signing)' if e['kid'] == signing else ''}" for e in sorted(entries, key=lambda e: e["signs_from"])]


def main(argv: list[str] | None = None) -> int:
    from .config import Config

    config = Config.from_env()
    parser = argparse.ArgumentParser(prog="python -m gateway.keys", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("rotate", "retire", "list"))
    parser.add_argument("--file", default=config.jwt_signing_keys_file, help="keyring (JWT_SIGNING_KEYS_FILE)")
    parser.add_argument("--now", action="store_true",
                        help="rotate: sign with the new key at once; retire: drop --kid without waiting")
    parser.add_argument("--kid", help="retire only this key")
    args = parser.parse_args(argv)
    if args.command == "rotate" and ensure_keyring(args.file):
        print(f"created {args.file} with one signing key")      # a new deployment's first keyring
    elif args.command == "rotate":
        entry = rotate(args.file, 0 if args.now else config.jwt_rotation_lead_s)
        print(f"added {entry['kid']}")
    elif not os.path.isfile(args.file):
        parser.exit(2, f"{parser.prog}: no keyring at {args.file} (JWT_SIGNING_KEYS_FILE)\n")
    elif args.command == "retire":
        if args.now and not args.kid:
            parser.error("retire --now needs --kid")
        dropped = retire(args.file, 0 if args.now else config.max_token_ttl_s, kid=args.kid)
        print(f"retired {', '.join(dropped)}" if dropped else "nothing to retire yet")
    for line in describe(args.file):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
