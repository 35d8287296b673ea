"""Every validation message a person reads is Chinese: each of marshmallow's field and validator templates has a
translation (walked from marshmallow itself, so an upgrade that adds one fails here), and problem+json carries it."""
import inspect
import re

import marshmallow
import pytest
from marshmallow import Schema, fields, validate

from servicekit.messages import translate

CJK = re.compile(r"[\u4e00-\u9fff]")
SAMPLE = {"min": 1, "max": 9, "equal": 3, "choices": "A, B", "other": "x", "values": "a", "input": "'x'",
          "obj_type": "datetime", "awareness": "aware", "labels": "A, B"}


def _field_templates():
    for _, cls in inspect.getmembers(marshmallow.fields, inspect.isclass):
        for template in getattr(cls, "default_error_messages", {}).values():
            yield template


def _validator_messages():
    for cls in (validate.Range(min=1), validate.Range(max=9), validate.Range(min=1, max=9),
                validate.Range(min=1, max=9, min_inclusive=False, max_inclusive=False)):
        yield from (cls.message_min, cls.message_max, cls.message_all)
    yield from (validate.Length.message_min, validate.Length.message_max, validate.Length.message_all,
                validate.Length.message_equal)
    for cls in (validate.Equal, validate.Regexp, validate.OneOf, validate.ContainsOnly, validate.NoneOf,
                validate.URL, validate.Email, validate.Predicate):
        yield cls.default_message
    yield from Schema._default_error_messages.values()


@pytest.mark.parametrize("template", sorted(set(_field_templates()) | set(_validator_messages())))
def test_every_marshmallow_message_has_a_chinese_translation(template):
    message = template.format(**SAMPLE)
    translated = translate(message)
    assert CJK.search(translated), f"untranslated: {message!r}"
    assert not re.search(r"\b(must|valid|field|length|greater|less)\b", translated, re.I), translated


def test_bounds_and_choices_keep_their_values():
    assert translate("Must be greater than or equal to 0.5 and less than or equal to 60.") == "必须大于或等于 0.5 且小于或等于 60。"
    assert translate("Must be one of: routine, urgent, emergency.") == "必须是以下之一：routine, urgent, emergency。"
    assert translate("站点编号为 1–40 位字母") == "站点编号为 1–40 位字母"      # already Chinese: untouched


def test_a_422_from_a_service_carries_chinese_messages(databases):
    from inventory.app import create_app
    from tests.helpers import SERVICE_KEYS, PII_KEY, auth

    client = create_app(database_url=databases.new("inventory", "sqlite"), **SERVICE_KEYS,
                        pii_key=PII_KEY).test_client()
    resp = client.post("/api/v1/rebalancing/plans", json={"target_days": 0, "extra": 1, "region": 7},
                       headers=auth("admin"))
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert errors == {"target_days": ["必须大于或等于 0.5 且小于或等于 60。"], "extra": ["不允许的字段。"],
                      "region": ["不是有效的字符串。"]}
