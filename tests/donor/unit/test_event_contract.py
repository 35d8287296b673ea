"""donor.events payloads carry exactly the fields docs/events.md lists (the catalogue is the contract)."""
import re
from pathlib import Path

import pytest

from donor.events import PUBLISHED

CATALOGUE = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def _documented() -> dict[str, set[str]]:
    section = CATALOGUE.read_text(encoding="utf-8").split("## donor.events", 1)[1].split("\n## ", 1)[0]
    out = {}
    for row in section.splitlines():
        cells = [c.strip() for c in row.replace("\\|", "/").strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            fields = re.sub(r"\([^)]*\)", "", cells[2].replace("`", ""))      # drop "(whole_blood|platelets)"
            out[cells[0].strip("`")] = {f.strip() for f in fields.split(",") if f.strip()}
    return out


@pytest.mark.parametrize("event_class", list(PUBLISHED), ids=lambda c: c.TYPE)
def test_each_published_event_matches_the_catalogue(event_class):
    documented = _documented()
    assert event_class.TYPE in documented and event_class.VERSION == 1
    assert set(PUBLISHED[event_class].fields) == documented[event_class.TYPE]


def test_no_payload_field_can_hold_a_raw_identifier():
    for schema in PUBLISHED.values():
        for name in schema.fields:
            assert "national_id" not in name or name.endswith(("_blind", "_masked")), name
            assert "phone" not in name, name
