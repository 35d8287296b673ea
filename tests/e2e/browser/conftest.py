"""The console in a real browser: Debian's Chromium driven by Playwright against the system `make up` starts
(tests/e2e/conftest.py's `system`). Playwright's own browser download cannot work on these machines, so it
launches /usr/bin/chromium, which scripts/ensure-debian.sh installs on demand; where that cannot be done the
tests are skipped saying why. A page that throws or logs a console error fails its test."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
# Headless and quiet: no GPU, no QUIC, nothing phoning home (the machine is offline; a stray request only slows).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_PASSWORD = "password1"        # gateway/demo.py's staff accounts
ADMIN = ("admin", "e2e-admin-pass")  # the System's HEMOLINK_ADMIN_PASSWORD


def _ensure_chromium() -> str | None:
    """None when Chromium is ready, else why it is not (the skip message)."""
    if not os.access(CHROMIUM, os.X_OK):
        done = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-debian.sh")], capture_output=True, text=True)
        if done.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
            return f"Debian's chromium could not be installed: {(done.stderr or done.stdout).strip()[-300:]}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def chromium():
    why = _ensure_chromium()
    if why:
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # Each launch gets a fresh temporary profile (user-data-dir) that Playwright removes on close.
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """Where pages are photographed: $CONSOLE_SCREENSHOTS (the README's images come from a run with it set),
    else the run's temp dir."""
    target = os.environ.get("CONSOLE_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Console:
    """One browser tab on the console, recording every JavaScript exception and console error."""

    def __init__(self, page, base: str, shots: Path):
        self.page = page
        self.base = base
        self.shots = shots
        self.problems: list[str] = []
        self.expected: list[re.Pattern] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"exception: {exc}"))
        page.on("console", self._on_console)
        page.on("dialog", self._on_dialog)

    def _on_console(self, msg):
        if msg.type == "error" and not any(p.search(msg.text) for p in self.expected):
            self.problems.append(f"console.error: {msg.text} @ {msg.location}")

    def _on_dialog(self, dialog):
        self.dialogs.append(dialog.message)   # every confirm() the console asks is answered yes
        dialog.accept()

    def expect_error(self, pattern: str) -> None:
        """A console error the test provokes on purpose (Chromium logs each refused fetch)."""
        self.expected.append(re.compile(pattern))

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.base}/console{hash_}")

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.open()
        self.page.fill("#login-username", username)
        self.page.fill("#login-password", password)
        self.page.click("#login-submit")
        self.page.wait_for_selector("#app-view:not([hidden])")

    def tab(self, view: str) -> None:
        self.page.click(f'.tab[data-view="{view}"]')
        self.page.wait_for_selector(f"#view-{view}:not([hidden])")

    def settled(self, view: str) -> None:
        """Every request the view started has answered (no button is busy) and no error is shown."""
        # A function, not an expression string: the console's CSP forbids eval, which Playwright's string form uses.
        self.page.wait_for_function("(v) => !document.querySelector(`#view-${v} [aria-busy]`)", arg=view)
        errors = self.page.locator(f"#view-{view} .msg-error")
        assert errors.count() == 0, errors.first.inner_text()

    def visible_tabs(self) -> list[str]:
        return self.page.eval_on_selector_all(".tab:not([hidden])", "tabs => tabs.map(t => t.dataset.view)")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture
def console(chromium, system, screenshots):
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    tab = Console(context.new_page(), system.base, screenshots)
    yield tab
    context.close()
    assert tab.problems == [], "the page threw or logged errors:\n" + "\n".join(tab.problems)

