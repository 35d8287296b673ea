"""The donor page (H5) the gateway serves at /donor: a local, CSP-locked Chinese page for phones whose scripts build
the DOM from text only, keep the donor's token in sessionStorage, and call only operations of the public API
(that they are in the merged OpenAPI of the real services is tests/contract/test_console_operations.py)."""
import re

from tests.gateway.console import DONOR_API_BLOCK, api_paths, console_assets, parse, scripts
from tests.gateway.integration.test_console import CONTENT_TYPES, csp_directives

PAGE = "/donor"
SHARED = {"/donor/assets/console-api.js", "/donor/assets/console-dom.js"}


def test_the_donor_page_is_a_chinese_phone_page_under_a_strict_content_security_policy(client):
    resp = client.get(PAGE)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert re.search(r'<html\s+lang="zh-CN"', html)
    assert re.search(r'<meta name="viewport" content="width=device-width, initial-scale=1', html)
    csp = csp_directives(resp.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"] and csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert "frame-src" not in csp, "the donor page frames nothing"
    assert not any(word.startswith("'unsafe-") for words in csp.values() for word in words)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["Referrer-Policy"] == "no-referrer"
    # <input capture> hands the page a file from the phone's camera app: the page itself never opens the camera.
    assert "camera=()" in resp.headers["Permissions-Policy"]
    page = parse(html)
    assert page.inline_scripts == []
    assert not [(t, a) for t, a in page.tags if "style" in a or any(k.startswith("on") for k in a)]
    assert not [t for t, _ in page.tags if t == "style"]


def test_the_photo_inputs_open_the_camera_and_no_input_has_a_name(client):
    tags = parse(client.get(PAGE).get_data(as_text=True)).tags
    fields = [a for t, a in tags if t in ("input", "select", "textarea")]
    assert fields and not [a for a in fields if "name" in a]
    camera = next(a for t, a in tags if a.get("id") == "doc-camera")
    assert camera["type"] == "file" and camera["accept"] == "image/*" and camera["capture"] == "environment"
    code = next(a for t, a in tags if a.get("id") == "login-code")
    assert code["inputmode"] == "numeric" and code["autocomplete"] == "one-time-code"


def test_trailing_slash_redirects_to_the_donor_page(client):
    resp = client.get("/donor/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/donor")


def test_every_asset_the_donor_page_loads_is_served_with_its_content_type_and_headers(client):
    assets = console_assets(client, PAGE)
    assert SHARED <= set(assets), "the console's API and DOM helpers are shared, not copied"
    assert {url.rsplit(".", 1)[-1] for url in assets if url != PAGE} == {"js", "css"}
    assert all(url == PAGE or url.startswith("/donor/assets/") for url in assets)
    for url, (content_type, text) in assets.items():
        suffix = "." + url.rsplit(".", 1)[-1] if url != PAGE else ".html"
        assert content_type == CONTENT_TYPES[suffix], url
        assert text.strip(), url
        headers = client.get(url).headers
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-cache"
        assert "frame-src" not in headers["Content-Security-Policy"], url


def test_only_the_donor_pages_listed_assets_are_served(client):
    for path in ("/donor/assets/donor_page.py", "/donor/assets/console.js", "/donor/assets/console-waiver.js",
                 "/donor/assets/console.html", "/donor/assets/donor.html", "/donor/assets/nope.js",
                 "/donor/assets/..%2Fdonor_page.py", "/donor/assets/../app.py", "/donor/assets/",
                 "/static/donor.html", "/static/donor.js"):
        assert client.get(path).status_code == 404, path


def test_the_console_does_not_serve_the_donor_pages_scripts(client):
    for name in ("donor.js", "donor-api.js", "donor-claims.js", "donor-photo.js", "donor.css"):
        assert client.get(f"/console/assets/{name}").status_code == 404, name


def test_no_donor_page_asset_refers_to_another_host(client):
    for url, (_type, text) in console_assets(client, PAGE).items():
        text = text.replace('"http://www.w3.org/2000/svg"', '"SVG_NS"')
        assert not re.search(r"https?://", text, re.I), url
        assert not re.search(r"""(src|href|from)\s*=?\s*["']//""", text), url
        assert "@import" not in text and not re.search(r"url\(\s*['\"]?(?!data:)[a-z]+:", text, re.I), url


def test_donor_scripts_never_parse_html_or_evaluate_strings(client):
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function"
                           r"|set(Timeout|Interval)\s*\(\s*[\"'`]|createContextualFragment")
    js = scripts(client, PAGE)
    assert len(js) >= 4
    for url, text in js.items():
        assert not forbidden.search(text), (url, forbidden.search(text).group(0))


def test_the_donor_token_is_kept_in_session_storage_under_its_own_key(client):
    js = scripts(client, PAGE)
    own = "\n".join(text for url, text in js.items() if url not in SHARED)
    assert "sessionStorage.setItem" in own and '"hemolink.donor.session"' in own
    assert "localStorage" not in own and "document.cookie" not in own


def test_the_donor_api_paths_constant_is_the_only_place_the_donor_scripts_name_an_api_path(client):
    js = scripts(client, PAGE)
    paths = api_paths(js, DONOR_API_BLOCK)
    assert {"otp", "token", "me", "createClaim", "uploadDocument", "submitClaim", "myClaims"} <= set(paths)
    own = {url: text for url, text in js.items() if url not in SHARED}
    assert sum(text.count("/api/v1") for text in own.values()) == len(paths), "an /api/v1 path outside the list"
    called = {name for text in own.values() for name in re.findall(r'(?:call|request)\(\s*"(\w+)"', text)}
    assert called == set(paths), "called by a name the list lacks, or listed and never called"
