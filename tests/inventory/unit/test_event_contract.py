"""inventory.events payloads carry the fields docs/events.md lists (the catalogue is the contract); the only
extra is the optional `dispatched_units` inside transfer lines."""
import re
from dataclasses import fields as dataclass_fields
from pathlib import Path

import pytest

from inventory.events import PUBLISHED

CATALOGUE = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def _top_level(field_list: str) -> set[str]:
    text = re.sub(r"\[[^\]]*\]", "", field_list.replace("`", ""))        # drop "units: [{...}]" details
    text = re.sub(r"\([^)]*\)", "", text)                                  # drop "(bool)", "(green|...)"
    return {f.split(":")[0].strip() for f in text.split(",") if f.strip()}


def _documented() -> dict[str, set[str]]:
    section = CATALOGUE.read_text(encoding="utf-8").split("## inventory.events", 1)[1].split("\n## ", 1)[0]
    out = {}
    for row in section.splitlines():
        cells = [c.strip() for c in row.replace("\\|", "/").strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for name in re.findall(r"`(\w+)`", cells[0]):
                out[name] = _top_level(cells[2])
    return out


@pytest.mark.parametrize("event_class", list(PUBLISHED), ids=lambda c: c.TYPE)
def test_each_published_event_matches_the_catalogue(event_class):
    documented = _documented()
    assert event_class.TYPE in documented and event_class.VERSION == 1
    schema = PUBLISHED[event_class]
    assert set(schema.fields) == documented[event_class.TYPE]
    assert {f.name for f in dataclass_fields(event_class)} == documented[event_class.TYPE]


def test_every_inventory_event_in_the_catalogue_is_published():
    assert set(_documented()) == {c.TYPE for c in PUBLISHED}


def test_no_payload_field_can_hold_a_raw_identifier():
    for schema in PUBLISHED.values():
        for name in schema.fields:
            assert "national_id" not in name and "patient" not in name or name.endswith("_blind"), name
