"""The web console the gateway serves: a local, CSP-locked page whose scripts build the DOM from text only,
keep the token in sessionStorage, and call only operations the public API publishes (that they are in the
merged OpenAPI of the real services is tests/contract/test_console_operations.py)."""
import re

from tests.gateway.console import API_BLOCK, api_paths, console_assets, parse, scripts

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


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
        # An XML namespace name (createElementNS's SVG one) is an identifier that is never fetched.
        text = text.replace('"http://www.w3.org/2000/svg"', '"SVG_NS"')
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
