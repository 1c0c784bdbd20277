"""Unified Social Credit Codes: the fixtures of DOMAIN.md §1."""

from __future__ import annotations

import pytest

from planner import uscc

VALID = ["91350100M000100Y43", "91110000600037341L", "91310115MA1K3BTP2B", "9131012056010553X5",
         "92340602MA2PBMEM24", "91110108551385082Q"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes(code):
    assert uscc.problem(code) is None


@pytest.mark.parametrize(
    "code,message",
    [
        ("91350100M000100Y4Z", "统一社会信用代码含非法字符：Z（不使用I、O、S、V、Z）"),
        ("91110000600037341N", "统一社会信用代码第18位校验码应为L，实为N"),
        ("91110108551385082F", "统一社会信用代码第18位校验码应为Q，实为F"),
        ("9111000060003IOZSV", "统一社会信用代码含非法字符：IOSVZ（不使用I、O、S、V、Z）"),
        # passes the 18th-character check but fails the organization code's own check
        ("123456789012345678", "统一社会信用代码第17位（组织机构代码校验码）应为8，实为7"),
        ("9135010M000100Y43", "统一社会信用代码应为18位，实为17位"),
        ("913501A0M000100Y43", "统一社会信用代码第3-8位（登记管理机关行政区划码）应为数字"),
    ],
)
def test_invalid_codes(code, message):
    assert uscc.problem(code) == message


def test_make_builds_valid_codes():
    code = uscc.make("91330206", "NB000001")
    assert uscc.problem(code) is None and code.startswith("91330206NB000001")


def test_make_refuses_letters_outside_the_alphabet():
    with pytest.raises(ValueError):
        uscc.make("91330206", "NS000001")
