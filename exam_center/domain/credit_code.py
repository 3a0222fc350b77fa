"""Unified social credit codes (统一社会信用代码, GB 32100-2015) of employers and training institutions."""
from __future__ import annotations

from exam_center.domain.errors import N_, ValidationError

FIELD = "credit_code"

# I, O, S, V and Z are left out so codes cannot be misread as 1, 0, 5, U and 2.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {char: value for value, char in enumerate(CHARSET)}
# Weight i is 3**i mod 31.
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(body17: str) -> str:
    """The 18th character for the first 17."""
    if len(body17) != 17 or any(char not in _VALUES for char in body17):
        raise ValueError(f"expected 17 characters from the credit-code charset, got {body17!r}")
    total = sum(_VALUES[char] * weight for char, weight in zip(body17, _WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def make_credit_code(body17: str) -> str:
    return body17 + check_character(body17)


def parse_credit_code(raw: str | None) -> str:
    """Normalise (strip, upper-case) and validate a code; returns the normalised code."""
    code = (raw or "").strip().upper()
    if not code:
        raise ValidationError("credit_code.empty", N_("Please enter the unified social credit code."), field=FIELD)
    if len(code) != 18:
        raise ValidationError(
            "credit_code.length",
            N_("A unified social credit code has 18 characters, but %(given)d were given."),
            field=FIELD,
            given=len(code),
        )
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            raise ValidationError(
                "credit_code.characters",
                N_(
                    "Character %(position)d (%(char)s) is not allowed in a unified social credit code:"
                    " only digits and capital letters except I, O, S, V and Z are used."
                ),
                field=FIELD,
                position=position,
                char=char,
            )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            "credit_code.check_character",
            N_(
                "The unified social credit code does not check out: the 18th character should be %(expected)s,"
                " not %(given)s. Please look for a mistyped character."
            ),
            field=FIELD,
            expected=expected,
            given=code[17],
        )
    return code
