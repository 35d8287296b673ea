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



def _chinese(shown: dict[str, str]) -> bool:
    return all(re.search(r"[\u4e00-\u9fff]", label) for label in shown.values())


def test_every_code_the_donation_pages_show_has_a_chinese_label():
    from donor.model import APPOINTMENT_STATUSES, KINDS
    from donor.points import POINT_KIND_WORDS
    from donor.services.drives import ORGANISATION_KINDS
    from hemolink.phenotypes import PHENOTYPES

    for name, codes in (("POINT_KIND_LABELS", POINT_KIND_WORDS), ("DONATION_KIND_LABELS", KINDS),
                        ("APPOINTMENT_STATUS_LABELS", APPOINTMENT_STATUSES),
                        ("ORGANISATION_KIND_LABELS", ORGANISATION_KINDS)):
        shown = labels(name)
        assert set(codes) == set(shown) and _chinese(shown), name
    assert labels("PHENOTYPE_LABELS") == dict(PHENOTYPES)     # the console says what hemolink.phenotypes says


DONOR_JS = DOM.with_name("donor.js")


def donor_labels(name: str) -> dict[str, str]:
    body = re.search(name + r" = \{(.*?)\};", DONOR_JS.read_text(encoding="utf-8"), re.S).group(1)
    return dict(re.findall(r'(\w+): "([^"]+)"', body))


def test_the_donor_page_names_every_award_level_as_the_donor_service_does():
    from donor.policy import LEVEL_NAMES

    assert donor_labels("AWARD_LABELS") == dict(LEVEL_NAMES)


def test_the_donor_page_has_a_chinese_word_for_every_donor_status():
    """The statuses docs/api.md lists for `donor` (the donor service keeps them as plain strings, no constant)."""
    shown = donor_labels("DONOR_STATUS_LABELS")
    assert set(shown) == {"active", "deferred", "permanently_deferred"} and _chinese(shown)
