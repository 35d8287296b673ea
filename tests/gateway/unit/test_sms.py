"""The SMS adapters: the HTTP sender against a real local server, the development logger, the choice."""
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gateway.config import Config
from gateway.sms import HttpSmsSender, LoggingSmsSender, SmsUnavailable, make_sender
from servicekit.broker import free_port

PHONE, CODE = "13912345678", "424242"


class Provider:
    """A tiny SMS provider on 127.0.0.1: records each request, answers with `status` after `delay_s`."""

    def __init__(self):
        self.received, self.status, self.delay_s = [], 200, 0.0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                provider.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                time.sleep(provider.delay_s)
                self.send_response(provider.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):   # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/sms"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    p = Provider()
    yield p
    p.close()


def test_the_http_sender_posts_phone_and_text_as_json_with_the_bearer_token(provider, caplog):
    caplog.set_level(logging.DEBUG)
    HttpSmsSender(provider.url, "tok-123").send_code(PHONE, CODE)
    [seen] = provider.received
    assert seen["path"] == "/v1/sms"
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["headers"]["Authorization"] == "Bearer tok-123"
    body = json.loads(seen["body"])
    assert set(body) == {"phone", "text"} and body["phone"] == PHONE and CODE in body["text"]
    assert PHONE not in caplog.text and CODE not in caplog.text and "tok-123" not in caplog.text


def test_no_authorization_header_without_a_token(provider):
    HttpSmsSender(provider.url).send_code(PHONE, CODE)
    assert "Authorization" not in provider.received[0]["headers"]


def test_a_provider_error_status_is_sms_unavailable(provider, caplog):
    provider.status = 500
    with pytest.raises(SmsUnavailable) as err:
        HttpSmsSender(provider.url).send_code(PHONE, CODE)
    assert err.value.status == 502 and err.value.code == "sms_unavailable"
    assert PHONE not in caplog.text and CODE not in caplog.text


def test_a_slow_provider_times_out_as_sms_unavailable(provider):
    provider.delay_s = 1.0
    started = time.monotonic()
    with pytest.raises(SmsUnavailable):
        HttpSmsSender(provider.url, read_timeout_s=0.2).send_code(PHONE, CODE)
    assert time.monotonic() - started < 0.9


def test_an_unreachable_provider_is_sms_unavailable():
    with pytest.raises(SmsUnavailable):
        HttpSmsSender(f"http://127.0.0.1:{free_port()}/sms", connect_timeout_s=0.5).send_code(PHONE, CODE)


def test_development_logs_a_masked_number_only(caplog):
    caplog.set_level(logging.INFO, logger="gateway.sms")
    LoggingSmsSender().send_code(PHONE, CODE)
    [record] = caplog.records
    assert record.phone_masked == "139****5678"
    assert PHONE not in caplog.text and CODE not in caplog.text


def test_the_sender_follows_the_configuration(provider):
    assert isinstance(make_sender(Config()), LoggingSmsSender)
    assert isinstance(make_sender(Config(sms_gateway_url=provider.url)), HttpSmsSender)
    with pytest.raises(RuntimeError, match="SMS_GATEWAY_URL"):
        make_sender(Config(environment="production"))
