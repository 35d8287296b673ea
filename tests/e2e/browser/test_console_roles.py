"""Each staff role logs in to the console in Chromium, gets exactly its tabs, and every tab loads from the real
system with no error shown, thrown or logged (the `console` fixture fails a test on any)."""
import pytest

from .conftest import ADMIN

ROLES = {   # username → the tabs the role's work needs (console.html's data-roles), in page order
    "admin": ["stock", "rebalancing", "coldchain", "stats", "direct", "recalls", "approvals", "health"],
    "station.hp": ["stock", "rebalancing", "points", "drives", "rare", "callups", "coldchain", "recalls", "health"],
    "hospital.hp": ["stock", "hospital", "discharge", "direct", "recalls", "approvals", "health"],
    "reviewer.sh": ["stock", "callups", "claims", "family", "stats", "direct", "health"],
}
DEFAULT_VIEW = {"admin": "stock", "station.hp": "stock", "hospital.hp": "hospital", "reviewer.sh": "claims"}


def _password(username):
    return ADMIN[1] if username == ADMIN[0] else "password1"


@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_sees_its_tabs_and_every_tab_loads_without_errors(console, username):
    console.login(username, _password(username))
    assert console.visible_tabs() == ROLES[username]
    assert console.page.url.endswith("#" + DEFAULT_VIEW[username])
    console.settled(DEFAULT_VIEW[username])
    for view in ROLES[username]:
        console.tab(view)
        console.settled(view)
        console.shot(f"{username.split('.')[0]}-{view}")
    console.tab("health")
    console.page.wait_for_selector("#health-result table")
    assert "总体状态" in console.text("#health-result")


def test_a_wrong_password_is_refused_with_a_chinese_message_and_no_session(console):
    console.expect_error("401")
    console.open()
    console.page.fill("#login-username", "station.hp")
    console.page.fill("#login-password", "not-the-password")
    console.page.click("#login-submit")
    console.page.wait_for_selector("#login-msg.msg-error")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in console.text("#login-msg"))
    assert console.page.is_hidden("#app-view")
    assert console.page.evaluate("sessionStorage.length") == 0
    assert console.page.input_value("#login-password") == ""


def test_logging_out_leaves_nothing_the_previous_user_saw(console):
    console.login("reviewer.sh")
    console.settled("claims")
    console.page.click("#logout")
    console.page.wait_for_selector("#login-view:not([hidden])")
    assert console.page.evaluate("sessionStorage.length") == 0
    assert console.text("#claims-result").strip() == ""
    console.login("station.hp")
    assert console.visible_tabs() == ROLES["station.hp"]
