"""The gateway's keyring: rotation publishes the new key before it signs, so every token stays valid across it;
retiring drops only keys no valid token can carry; the services' cached JWKS follows a rotation."""
import json
import os
import threading
import time

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from gateway import keys
from hemolink.access import ROLES
from servicekit.auth import issue_token, verify_token
from servicekit.broker import free_port
from servicekit.errors import DomainError, Unauthorized
from servicekit.jwks import RemoteKeys, StaticKeys

DAY = 24 * 3600


def test_first_start_creates_one_private_keyring_and_a_second_start_keeps_it(tmp_path):
    path = str(tmp_path / "var" / "keys.json")
    assert keys.ensure_keyring(path) is True
    first = keys.Keyring(path).signing_key()[0]
    assert keys.ensure_keyring(path) is False
    assert keys.Keyring(path).signing_key()[0] == first
    assert os.stat(path).st_mode & 0o077 == 0
    published = keys.Keyring(path).jwks()["keys"]
    assert [k["kid"] for k in published] == [first] and all("d" not in k for k in published)


def test_a_rotation_publishes_the_new_key_first_and_signs_with_it_only_after_the_lead(tmp_path):
    path = str(tmp_path / "keys.json")
    keys.ensure_keyring(path)
    old = keys.Keyring(path).signing_key()[0]
    now = time.time()
    new = keys.rotate(path, lead_s=600, now=now)["kid"]
    entries = keys.read_entries(path)
    assert keys.signing_entry(entries, now + 599)["kid"] == old
    assert keys.signing_entry(entries, now + 600)["kid"] == new
    ring = keys.Keyring(path)
    assert {k["kid"] for k in ring.jwks()["keys"]} == {old, new}
    # a token the old key signed still verifies against the published set once the new key signs
    token = issue_token(ring, roles=ROLES, sub="a", role="admin")
    assert verify_token(StaticKeys(ring.jwks()), token, ROLES).sub == "a"


def test_retire_keeps_a_superseded_key_for_the_longest_token_lifetime(tmp_path):
    path = str(tmp_path / "keys.json")
    keys.ensure_keyring(path)
    old = keys.read_entries(path)[0]["kid"]
    now = time.time()
    keys.rotate(path, lead_s=0, now=now)
    assert keys.retire(path, max_token_ttl_s=7 * DAY, now=now + 6 * DAY) == []
    assert keys.retire(path, max_token_ttl_s=7 * DAY, now=now + 7 * DAY) == [old]
    assert [e["kid"] for e in keys.read_entries(path)] != [old] and len(keys.read_entries(path)) == 1


def test_an_emergency_retire_drops_a_compromised_key_at_once_but_never_the_signing_one(tmp_path):
    path = str(tmp_path / "keys.json")
    keys.ensure_keyring(path)
    old = keys.read_entries(path)[0]["kid"]
    new = keys.rotate(path, lead_s=0)["kid"]
    with pytest.raises(SystemExit):
        keys.retire(path, 0, kid=new)
    assert keys.retire(path, 0, kid=old) == [old]
    assert [e["kid"] for e in keys.read_entries(path)] == [new]


def test_a_running_gateway_reads_a_rotated_keyring_without_a_restart(tmp_path):
    path = str(tmp_path / "keys.json")
    keys.ensure_keyring(path)
    ring = keys.Keyring(path, reload_check_s=0)
    new = keys.rotate(path, lead_s=0, now=time.time() - 1)["kid"]
    assert ring.signing_key()[0] == new and ring.public_key(new) is not None


class JwksServer:
    def __init__(self, ring):
        self.ring, self.up, self.hits = ring, True, 0
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def app(self, request):
        self.hits += 1
        if not self.up:
            return Response("down", status=503)
        return Response(json.dumps(self.ring.jwks()), content_type="application/json")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/api/v1/.well-known/jwks.json"


def test_a_service_fetches_once_follows_a_rotation_and_survives_a_gateway_outage(tmp_path):
    path = str(tmp_path / "keys.json")
    keys.ensure_keyring(path)
    ring = keys.Keyring(path, reload_check_s=0)
    server = JwksServer(ring)
    try:
        remote = RemoteKeys(server.url, cache_s=300, min_refresh_s=0.2)
        first = issue_token(ring, roles=ROLES, sub="a", role="admin")
        for _ in range(20):
            verify_token(remote, first, ROLES)
        assert server.hits == 1                              # cached: one fetch for many verifications
        keys.rotate(path, lead_s=0, now=time.time() - 1)     # the gateway signs with a key the cache lacks
        rotated = issue_token(ring, roles=ROLES, sub="b", role="admin")
        time.sleep(0.25)
        assert verify_token(remote, rotated, ROLES).sub == "b"
        assert server.hits == 2
        # made-up kids do not turn into fetches faster than min_refresh_s
        forged = [issue_token(type("S", (), {"signing_key": lambda self, i=i: (f"x{i}", ring.signing_key()[1])})(),
                              roles=ROLES, sub="m", role="admin") for i in range(10)]
        for token in forged:
            with pytest.raises(Unauthorized):
                verify_token(remote, token, ROLES)
        assert server.hits <= 3
        server.up = False                                    # gateway down: what was fetched keeps serving
        time.sleep(0.25)
        remote.cache_s = 0
        third = issue_token(ring, roles=ROLES, sub="c", role="admin")
        assert verify_token(remote, third, ROLES).sub == "c"
    finally:
        server.server.shutdown()


def test_requests_arriving_together_at_a_fresh_service_all_wait_for_its_first_fetch(tmp_path):
    """The console's first page asks a service three things at once: none may be refused while the first
    fetch of the keys is on its way."""
    path = str(tmp_path / "keys.json")
    keys.ensure_keyring(path)
    ring = keys.Keyring(path)
    server = JwksServer(ring)
    slow = server.app

    def app(environ, start_response):
        time.sleep(0.3)
        return slow(environ, start_response)

    server.server.app = app
    try:
        remote = RemoteKeys(server.url)
        kid = ring.signing_key()[0]
        results, started = [], threading.Barrier(4)

        def ask():
            started.wait()
            try:
                results.append(remote.public_key(kid) is not None)
            except DomainError as exc:
                results.append(exc.code)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        assert results == [True] * 4 and server.hits == 1
    finally:
        server.server.shutdown()


def test_a_service_that_never_reached_the_gateway_answers_503_not_401():
    remote = RemoteKeys(f"http://127.0.0.1:{free_port()}/jwks.json")
    with pytest.raises(DomainError) as refused:
        remote.public_key("any")
    assert refused.value.status == 503 and refused.value.code == "token_keys_unavailable"


def test_the_command_creates_a_first_keyring_then_rotates_and_refuses_a_missing_one(tmp_path, capsys):
    path = str(tmp_path / "keys.json")
    with pytest.raises(SystemExit) as missing:
        keys.main(["list", "--file", path])
    assert missing.value.code == 2
    assert keys.main(["rotate", "--file", path]) == 0 and len(keys.read_entries(path)) == 1
    assert keys.main(["rotate", "--file", path]) == 0 and len(keys.read_entries(path)) == 2
    out = capsys.readouterr().out
    assert "created" in out and "added" in out and out.count("(signing)") == 2
