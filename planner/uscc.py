"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015): both check characters."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def organization_check(body: str) -> str:
    """The check character of an 8-character organization code body (GB 11714)."""
    check = 11 - sum(_org_value(c) * w for c, w in zip(body, _ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_check(first17: str) -> str:
    """The 18th character of a code whose first 17 characters are given."""
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why ``code`` is not a valid credit code (in Chinese), or None when it is valid."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位"
    bad = sorted({c for c in code if c not in _VALUES})
    if bad:
        return f"统一社会信用代码含非法字符：{''.join(bad)}（不使用I、O、S、V、Z）"
    if not code[2:8].isdigit():
        return "统一社会信用代码第3-8位（登记管理机关行政区划码）应为数字"
    body = code[8:16]
    if not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        return "统一社会信用代码第9-16位（组织机构代码本体）含非法字符"
    org = organization_check(body)
    if code[16] != org:
        return f"统一社会信用代码第17位（组织机构代码校验码）应为{org}，实为{code[16]}"
    check = credit_check(code[:17])
    if code[17] != check:
        return f"统一社会信用代码第18位校验码应为{check}，实为{code[17]}"
    return None


def make(prefix: str, body: str) -> str:
    """A valid code from a 8-character prefix (authority, type, region) and an 8-character body.

    For synthetic demo and test data only; never use a real company's code.
    """
    if len(prefix) != 8 or len(body) != 8 or any(c not in _VALUES for c in prefix + body):
        raise ValueError(f"prefix and body must be 8 characters of {ALPHABET}")
    first17 = prefix + body + organization_check(body)
    return first17 + credit_check(first17)
