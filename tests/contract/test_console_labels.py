"""What staff read in the console is Chinese: every code the services can show in a table has a label."""
import re
from pathlib import Path

from waiver.allocation import LINE_REASONS

DOM = Path(__file__).resolve().parents[2] / "gateway" / "static" / "console-dom.js"


def labels(name: str) -> dict[str, str]:
    body = re.search(name + r" = \{(.*?)\};", DOM.read_text(encoding="utf-8"), re.S).group(1)
    return dict(re.findall(r'(\w+): "([^"]+)"', body))


def test_every_reason_a_line_is_waived_less_has_a_chinese_label():
    shown = labels("LINE_REASON_LABELS")
    assert set(LINE_REASONS) == set(shown)
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in shown.values())

