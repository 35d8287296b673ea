"""Reading the web console the gateway serves, as a browser would: the page, every asset it loads, and the
API operations its scripts name (tests of the console here, and the contract test against the merged OpenAPI)."""
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

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


def console_assets(client, page_path: str = "/console") -> dict[str, tuple[str, str]]:
    """Every asset the page (the console, or the donor page at /donor) loads, following the module imports:
    URL → (content type, text)."""
    page = client.get(page_path)
    found = {page_path: (page.mimetype, page.get_data(as_text=True))}
    tags = parse(found[page_path][1]).tags
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


def scripts(client, page_path: str = "/console") -> dict[str, str]:
    return {url: text for url, (_type, text) in console_assets(client, page_path).items() if url.endswith(".js")}


API_BLOCK = re.compile(r"export const API_PATHS = Object\.freeze\(\{(.*?)\}\);", re.S)
DONOR_API_BLOCK = re.compile(r"export const DONOR_API_PATHS = Object\.freeze\(\{(.*?)\}\);", re.S)
API_ENTRY = re.compile(r'(\w+):\s*\["(GET|POST|PUT|PATCH|DELETE)",\s*"([^"]+)"\]')


def api_paths(js: dict[str, str], block: re.Pattern = API_BLOCK) -> dict[str, tuple[str, str]]:
    """The operations one page names: the console's API_PATHS, or (block=DONOR_API_BLOCK) the donor page's."""
    blocks = [m.group(1) for text in js.values() for m in block.finditer(text)]
    assert len(blocks) == 1, "one API_PATHS constant"
    return {name: (method, path) for name, method, path in API_ENTRY.findall(blocks[0])}
