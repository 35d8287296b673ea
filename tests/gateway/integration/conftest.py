import json
import threading
import time

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from servicekit.broker import free_port
from tests.fixtures import service_fixtures


# Sites as the inventory service registers them, for the gateway's site lookups (users, HIS clients).
SITES = {
    "SH-S01": {"id": "SH-S01", "name": "黄浦区血液中心", "kind": "station", "region": "SH"},
    "SH-H01": {"id": "SH-H01", "name": "瑞金医院", "kind": "hospital", "region": "SH"},
    "JS-S01": {"id": "JS-S01", "name": "南京市血液中心", "kind": "station", "region": "JS"},
}


class FakeUpstream:
    """A real HTTP server standing in for a service: echoes what it received, and answers site lookups
    (`GET /api/v1/sites/{id}`) from SITES as the inventory service would."""

    def __init__(self):
        self.requests = []
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def app(self, request):
        self.requests.append({"method": request.method, "path": request.path, "query": request.query_string.decode(),
                              "headers": dict(request.headers), "body": request.get_data()})
        if request.path.startswith("/api/v1/sites/"):
            site = SITES.get(request.path.rsplit("/", 1)[1])
            if site is None:
                return Response(json.dumps({"status": 404, "code": "site_not_found"}), status=404,
                                content_type="application/problem+json")
            return Response(json.dumps(site), status=200, content_type="application/json")
        if request.path.endswith("/slow"):
            time.sleep(1.0)
        if request.path.endswith("/conflict"):
            body = {"type": "x", "title": "冲突", "status": 409, "detail": "d", "code": "donor_exists", "existing_id": "1"}
            return Response(json.dumps(body), status=409, content_type="application/problem+json")
        return Response(json.dumps({"ok": True, "path": request.path}), status=200, content_type="application/json")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def upstream():
    server = FakeUpstream()
    yield server
    server.close()


service_db, gateway_db, session_factory, app, client = service_fixtures("gateway")


@pytest.fixture
def app_settings(upstream):
    dead = f"http://127.0.0.1:{free_port()}"
    return dict(donor_url=upstream.url, inventory_url=dead, waiver_url=upstream.url, upstream_read_timeout_s=0.3,
                max_body_bytes=1024, hemolink_admin_password="s3cret-admin",
                kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
