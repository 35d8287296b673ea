"""A keep-alive connection the upstream drops: sent again where that cannot apply it twice, a 502 otherwise.

The upstream here is a raw socket server that answers the first request on each connection and drops the
connection on the second without answering: what a gunicorn worker closing an idle keep-alive connection looks
like to a client that reused it at that moment (the 502 CI once saw under the fuzzer).
"""
import itertools
import json
import socket
import threading

import pytest

from servicekit.broker import free_port
from tests.helpers import auth


class DroppingUpstream:
    def __init__(self):
        self.received = []  # (connection number, method, path, Idempotency-Key or None)
        self.port = free_port()
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.connections = itertools.count(1)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, next(self.connections)), daemon=True).start()

    def _serve(self, conn, number):
        stream = conn.makefile("rb")
        with conn, stream:
            for served in itertools.count():
                request_line = stream.readline().decode()
                if not request_line:
                    return
                headers = {}
                for line in iter(stream.readline, b"\r\n"):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                stream.read(int(headers.get("content-length", 0)))
                method, path, _ = request_line.split(" ", 2)
                self.received.append((number, method, path, headers.get("idempotency-key")))
                if served >= 1:
                    conn.shutdown(socket.SHUT_RDWR)  # dropped, no answer
                    return
                body = json.dumps({"connection": number}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)

    def close(self):
        self.sock.close()


@pytest.fixture
def dropping():
    server = DroppingUpstream()
    yield server
    server.close()


@pytest.fixture
def app_settings(dropping):
    dead = f"http://127.0.0.1:{free_port()}"
    return dict(donor_url=dropping.url, inventory_url=dead, waiver_url=dead, upstream_read_timeout_s=2,
                max_body_bytes=1024, hemolink_admin_password="s3cret-admin",
                kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")


def sent(dropping, path):
    return [r for r in dropping.received if r[2] == path]


def test_a_read_dropped_on_a_reused_connection_is_sent_again_on_a_new_one(client, dropping):
    assert client.get("/api/v1/donors/first", headers=auth("station")).status_code == 200
    resp = client.get("/api/v1/donors/second", headers=auth("station"))
    assert resp.status_code == 200, resp.get_json()
    first_try, second_try = sent(dropping, "/api/v1/donors/second")
    assert first_try[0] == 1 and second_try[0] == 2 and resp.get_json() == {"connection": 2}


def test_a_post_with_an_idempotency_key_is_sent_again(client, dropping):
    headers = {**auth("station"), "Content-Type": "application/json"}
    assert client.post("/api/v1/donors/first", data=b"{}", headers=headers).status_code == 200
    resp = client.post("/api/v1/donors/second", data=b"{}", headers={**headers, "Idempotency-Key": "k-1"})
    assert resp.status_code == 200
    assert [r[3] for r in sent(dropping, "/api/v1/donors/second")] == ["k-1", "k-1"]


def test_a_post_without_a_key_is_never_sent_twice_and_answers_502(client, dropping):
    headers = {**auth("station"), "Content-Type": "application/json"}
    assert client.post("/api/v1/donors/first", data=b"{}", headers=headers).status_code == 200
    resp = client.post("/api/v1/donors/second", data=b"{}", headers=headers)
    assert resp.status_code == 502 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "upstream_unavailable"
    assert len(sent(dropping, "/api/v1/donors/second")) == 1


def test_the_upstreams_keep_idle_connections_longer_than_the_proxies_in_front_of_them():
    # nginx's upstream keepalive_timeout defaults to 60 s (deploy/nginx.conf, scripts/replicas.py set none): the
    # side that reuses a connection must be the one that closes it first.
    from servicekit import gunicorn_conf

    assert gunicorn_conf.keepalive > 60
