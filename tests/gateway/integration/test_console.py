"""The web console the gateway serves: a local, CSP-locked page whose scripts build the DOM from text only,
keep the token in sessionStorage, and call only operations the public API publishes."""
import importlib
import re
import threading
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from werkzeug.serving import make_server

from gateway.app import create_app
from servicekit.broker import free_port
from tests.helpers import JWT_SECRET, PII_KEY

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
IMPORT = re.compile(r"""^\s*import\s[^;]*?from\s+["']([^"']+)["']""", re.M | re.S)


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []          # (tag, {attr: value})
        self.inline_scripts = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def console_assets(client) -> dict[str, tuple[str, str]]:
    """Every asset the page loads, following the module imports: URL → (content type, text)."""
    page = client.get("/console")
    found = {"/console": (page.mimetype, page.get_data(as_text=True))}
    tags = parse(found["/console"][1]).tags
    queue = [a["src"] for t, a in tags if t == "script" and a.get("src")]
    queue += [a["href"] for t, a in tags if t == "link" and a.get("href") and not a["href"].startswith("data:")]
    while queue:
        url = queue.pop()
        if url in found:
            continue
        resp = client.get(url)
        assert resp.status_code == 200, url
        found[url] = (resp.mimetype, resp.get_data(as_text=True))
        if url.endswith(".js"):
            queue += [urljoin(url, target) for target in IMPORT.findall(found[url][1])]
    return found


def scripts(client) -> dict[str, str]:
    return {url: text for url, (_type, text) in console_assets(client).items() if url.endswith(".js")}


def test_console_is_a_chinese_page_under_a_strict_content_security_policy(client):
    resp = client.get("/console")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert re.search(r'<html\s+lang="zh-CN"', html)
    csp = csp_directives(resp.headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert not any(word.startswith("'unsafe-") for words in csp.values() for word in words)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    page = parse(html)
    assert page.inline_scripts == []
    assert not [(t, a) for t, a in page.tags if "style" in a or any(k.startswith("on") for k in a)]
    assert not [t for t, _ in page.tags if t == "style"]


def test_root_and_trailing_slash_redirect_to_the_console(client):
    for path in ("/", "/console/"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/console"), path
    assert client.get("/", follow_redirects=True).mimetype == "text/html"


def test_every_asset_the_page_loads_is_served_by_the_gateway_with_its_content_type(client):
    assets = console_assets(client)
    assert {url.rsplit(".", 1)[-1] for url in assets if url != "/console"} == {"js", "css"}
    for url, (content_type, text) in assets.items():
        suffix = "." + url.rsplit(".", 1)[-1] if url != "/console" else ".html"
        assert content_type == CONTENT_TYPES[suffix], url
        assert text.strip(), url
        headers = client.get(url).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-cache", "revalidated, so an upgrade never mixes old and new modules"


def test_only_the_listed_assets_are_served(client):
    for path in ("/console/assets/console.py", "/console/assets/nope.js", "/console/assets/..%2Fconsole.py",
                 "/console/assets/../app.py", "/console/assets/", "/static/console.html", "/static/console.js"):
        assert client.get(path).status_code == 404, path


def test_no_console_asset_refers_to_another_host(client):
    for url, (_type, text) in console_assets(client).items():
        assert not re.search(r"https?://", text, re.I), url
        assert not re.search(r"""(src|href|from)\s*=?\s*["']//""", text), url       # protocol-relative
        assert "@import" not in text and not re.search(r"url\(\s*['\"]?(?!data:)[a-z]+:", text, re.I), url


def test_scripts_never_parse_html_or_evaluate_strings(client):
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function"
                           r"|set(Timeout|Interval)\s*\(\s*[\"'`]|createContextualFragment")
    js = scripts(client)
    assert len(js) >= 2
    for url, text in js.items():
        assert not forbidden.search(text), (url, forbidden.search(text).group(0))


def test_the_token_is_kept_in_session_storage_only(client):
    js = "\n".join(scripts(client).values())
    assert "sessionStorage.setItem" in js
    assert "localStorage" not in js and "document.cookie" not in js


def test_no_input_has_a_name_so_nothing_typed_can_land_in_the_url(client):
    """Without a name an input is never submitted by the browser itself (no `?patient_national_id=` in
    the URL bar or history even if the script fails); the patient's ID is typed like a password."""
    tags = parse(client.get("/console").get_data(as_text=True)).tags
    fields = [a for t, a in tags if t in ("input", "select", "textarea")]
    assert fields and not [a for a in fields if "name" in a]
    national_id = next(a for t, a in tags if a.get("id") == "ent-id")
    assert national_id["type"] == "password" and national_id["autocomplete"] == "off"


# ---- the API paths the console calls ---------------------------------------------------------------------------

API_BLOCK = re.compile(r"export const API_PATHS = Object\.freeze\(\{(.*?)\}\);", re.S)
API_ENTRY = re.compile(r'(\w+):\s*\["(GET|POST|PUT|PATCH|DELETE)",\s*"([^"]+)"\]')


def api_paths(js: dict[str, str]) -> dict[str, tuple[str, str]]:
    blocks = [m.group(1) for text in js.values() for m in API_BLOCK.finditer(text)]
    assert len(blocks) == 1, "one API_PATHS constant"
    return {name: (method, path) for name, method, path in API_ENTRY.findall(blocks[0])}


def test_the_api_paths_constant_is_the_only_place_naming_an_api_path(client):
    js = scripts(client)
    paths = api_paths(js)
    assert len(paths) >= 10
    everywhere = sum(text.count("/api/v1") for text in js.values())
    assert everywhere == len(paths), "an /api/v1 path outside API_PATHS"
    called = {name for text in js.values() for name in re.findall(r'(?:call|request)\(\s*"(\w+)"', text)}
    assert called <= set(paths), "called by a name API_PATHS does not list"
    outside = "\n".join(API_BLOCK.sub("", text) for text in js.values())
    assert [name for name in paths if f'"{name}"' not in outside] == [], "listed but never used"


@pytest.fixture(scope="module")
def real_upstreams(databases):
    """The inventory and waiver services themselves on free ports, so the gateway merges their real specs."""
    servers, urls = [], {}
    for service in ("inventory", "waiver"):
        app = importlib.import_module(f"{service}.app").create_app(
            database_url=databases.new(service, "sqlite"), jwt_secret=JWT_SECRET, pii_key=PII_KEY)
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[f"{service}_url"] = f"http://127.0.0.1:{port}"
    yield urls
    for server in servers:
        server.shutdown()


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_operation_the_console_calls_is_in_the_merged_openapi(client, gateway_db, real_upstreams):
    gateway = create_app(database_url=gateway_db, jwt_secret=JWT_SECRET, pii_key=PII_KEY,
                         donor_url=f"http://127.0.0.1:{free_port()}", hemolink_admin_password="s3cret-admin",
                         kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", **real_upstreams)
    spec = gateway.test_client().get("/api/v1/openapi.json").get_json()
    assert not {"inventory", "waiver"} & set(spec["info"].get("x-unavailable", []))
    published = {(method.upper(), _template(path)) for path, item in spec["paths"].items() for method in item
                 if method in ("get", "post", "put", "patch", "delete")}
    wanted = {(method, _template(path)) for method, path in api_paths(scripts(client)).values()}
    assert sorted(wanted - published) == []
