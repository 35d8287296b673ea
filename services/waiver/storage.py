"""Where claim documents live: a small interface, a local-filesystem store (default, under var/documents)
and an S3-compatible store (MinIO, Ceph, OSS, COS...) signed with AWS Signature V4 over plain HTTP.

The S3 store is configured with DOCUMENT_STORAGE=s3 and S3_* settings; tests check its requests against a
fake HTTP session because no object server runs in CI.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol
from urllib.parse import quote, urlsplit

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,250}$")


def _check_key(key: str) -> str:
    if not _SAFE_KEY.match(key) or ".." in key:
        raise ValueError(f"unsafe storage key {key!r}")
    return key


class DocumentStorage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalFileStorage:
    """Files under one directory; writes go to a temporary file first so a reader never sees half a file."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Path-style requests (`{endpoint}/{bucket}/{key}`), which every S3-compatible server accepts."""

    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str = "us-east-1",
                 session=None, clock: Callable[[], datetime] | None = None, timeout_s: float = 10.0):
        import requests

        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.session = session or requests.Session()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.timeout_s = timeout_s

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._request("PUT", key, data, {"Content-Type": content_type})

    def get(self, key: str) -> bytes:
        return self._request("GET", key).content

    def delete(self, key: str) -> None:
        self._request("DELETE", key)

    def _request(self, method: str, key: str, data: bytes = b"", extra: dict | None = None):
        path = f"/{self.bucket}/{quote(_check_key(key), safe='/-_.~')}"
        headers = {**(extra or {}), **self.sign(method, path, data)}
        resp = self.session.request(method, self.endpoint + path, data=data or None, headers=headers,
                                    timeout=self.timeout_s)
        resp.raise_for_status()
        return resp

    def sign(self, method: str, path: str, payload: bytes) -> dict:
        """AWS Signature Version 4 headers for a request without query parameters."""
        now = self.clock().astimezone(timezone.utc)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        host = urlsplit(self.endpoint).netloc
        payload_hash = hashlib.sha256(payload).hexdigest()
        signed = "host;x-amz-content-sha256;x-amz-date"
        canonical = "\n".join([method, path, "", f"host:{host}\nx-amz-content-sha256:{payload_hash}\n"
                               f"x-amz-date:{amz_date}\n", signed, payload_hash])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + self.secret_key).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return {"x-amz-date": amz_date, "x-amz-content-sha256": payload_hash,
                "Authorization": f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                                 f"SignedHeaders={signed}, Signature={signature}"}


def make_storage(config) -> DocumentStorage:
    if config.document_storage == "s3":
        return S3Storage(endpoint=config.s3_endpoint, bucket=config.s3_bucket, access_key=config.s3_access_key,
                         secret_key=config.s3_secret_key, region=config.s3_region)
    return LocalFileStorage(config.documents_dir)
