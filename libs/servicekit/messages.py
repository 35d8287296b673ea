"""Validation messages in Simplified Chinese: marshmallow's English messages, translated once, here.

Fields and validators are built when their schemas are imported, so their English message templates are fixed
by then; this catalogue translates each message as an error is turned into problem+json (errors.py), whatever
schema produced it. Every template of marshmallow's fields and validators has an entry (a test walks them all);
a message with no entry (one written in Chinese already) is left as it is.
"""
from __future__ import annotations

import re

_OPS = {"greater than or equal to": "大于或等于", "greater than": "大于", "less than or equal to": "小于或等于",
        "less than": "小于"}
_OP = "(" + "|".join(sorted(map(re.escape, _OPS), key=len, reverse=True)) + ")"

# (English pattern, Chinese template): groups are carried over in order as {0}, {1}, ...
_CATALOGUE: list[tuple[str, str]] = [
    (r"Missing data for required field\.", "缺少必填字段。"),
    (r"Field may not be null\.", "不能为空值。"),
    (r"Invalid value\.", "值无效。"),
    (r"Invalid input\.", "输入无效。"),
    (r"Invalid type\.", "类型无效。"),
    (r"Invalid input type\.", "输入类型无效。"),
    (r"Unknown field\.", "不允许的字段。"),
    (r"Not a valid string\.", "不是有效的字符串。"),
    (r"Not a valid utf-8 string\.", "不是有效的 UTF-8 字符串。"),
    (r"Not a valid integer\.", "不是有效的整数。"),
    (r"Not a valid number\.", "不是有效的数字。"),
    (r"Number too large\.", "数值过大。"),
    (r"Special numeric values \(nan or infinity\) are not permitted\.", "不允许 NaN 或无穷大。"),
    (r"Not a valid boolean\.", "不是有效的布尔值。"),
    (r"Not a valid list\.", "不是有效的列表。"),
    (r"Not a valid tuple\.", "不是有效的元组。"),
    (r"Not a valid mapping type\.", "不是有效的对象。"),
    (r"Not a valid UUID\.", "不是有效的 UUID。"),
    (r"Not a valid URL\.", "不是有效的网址。"),
    (r"Not a valid email address\.", "不是有效的电子邮件地址。"),
    (r"Not a valid IP(v4|v6)? address\.", "不是有效的 IP{0} 地址。"),
    (r"Not a valid IP(v4|v6)? interface\.", "不是有效的 IP{0} 接口。"),
    (r"Not a valid period of time\.", "不是有效的时长。"),
    (r"(.*) cannot be formatted as a timedelta\.", "{0} 不能转换为时长。"),
    (r"(.*) cannot be formatted as a (?:date|datetime|time|\w+)\.", "{0} 不能转换为日期或时间。"),
    (r"Not a valid date\.", "不是有效的日期（YYYY-MM-DD）。"),
    (r"Not a valid (?:aware|naive) datetime\.", "不是有效的带时区时间（ISO 8601，需含时区偏移）。"),
    (r"Not a valid datetime\.", "不是有效的时间（ISO 8601）。"),
    (r"Not a valid (?:aware |naive )?time\.", "不是有效的时刻。"),
    (r"Not a valid (\w+)\.", "不是有效的{0}。"),
    (r"Must be " + _OP + r" (.+) and " + _OP + r" (.+)\.", "必须{0} {1} 且{2} {3}。"),
    (r"Must be " + _OP + r" (.+)\.", "必须{0} {1}。"),
    (r"Shorter than minimum length (\d+)\.", "长度不能少于 {0}。"),
    (r"Longer than maximum length (\d+)\.", "长度不能超过 {0}。"),
    (r"Length must be between (\d+) and (\d+)\.", "长度必须在 {0} 到 {1} 之间。"),
    (r"Length must be (\d+)\.", "长度必须为 {0}。"),
    (r"Must be equal to (.+)\.", "必须等于 {0}。"),
    (r"String does not match expected pattern\.", "格式不正确。"),
    (r"Must be one of: (.+)\.", "必须是以下之一：{0}。"),
    (r"One or more of the choices you made was not in: (.+)\.", "所选值不全在以下范围内：{0}。"),
    (r"One or more of the choices you made was in: (.+)\.", "所选值不能包括：{0}。"),
    (r"Invalid JSON body\.", "请求体不是有效的 JSON。"),
]
_COMPILED = [(re.compile(f"^{pattern}$", re.S), template) for pattern, template in _CATALOGUE]


def translate(message: str) -> str:
    """The Chinese of one marshmallow message; anything not in the catalogue is returned unchanged."""
    for pattern, template in _COMPILED:
        match = pattern.match(message)
        if match:
            return template.format(*(_OPS.get(g, g) if g is not None else "" for g in match.groups()))
    return message
