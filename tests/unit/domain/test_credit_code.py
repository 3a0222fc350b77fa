import pytest

from exam_center.domain.credit_code import CHARSET, check_character, make_credit_code, parse_credit_code
from exam_center.domain.errors import ValidationError


def _error(raw: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_credit_code(raw)
    assert caught.value.field == "credit_code"
    return caught.value


def test_example_from_the_standard_checks_out():
    assert parse_credit_code("91350100M000100Y43") == "91350100M000100Y43"


def test_normalises_whitespace_and_case():
    assert parse_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_check_character_by_hand():
    # Index → character: 0-9 digits, A=10 ... H=17, J=18 ... N=22, P=23 ... R=25, T=26, U=27, W=28, X=29, Y=30.
    assert check_character("00000000000000000") == "0"  # Σ = 0 → 31 - 0 = 31 → 0
    assert check_character("10000000000000000") == "Y"  # Σ = 1 → 30 → "Y"
    assert check_character("01000000000000000") == "W"  # Σ = 3 → 28 → "W"
    assert check_character("A0000000000000000") == "M"  # "A" = 10, Σ = 10 → 21 → "M"


def test_make_credit_code_round_trips():
    for body in ("91110108MA01ABCD1", "12100000400000123", "Y1440300MA5DXXXX0"):
        assert parse_credit_code(make_credit_code(body)) == make_credit_code(body)


def test_charset_has_31_characters_without_ioszv():
    assert len(CHARSET) == 31
    assert not set("IOSVZ") & set(CHARSET)


def test_check_character_rejects_bad_body():
    with pytest.raises(ValueError):
        check_character("91350100M000100Y")
    with pytest.raises(ValueError):
        check_character("91350100I000100Y4")


def test_empty():
    assert _error("").code == "credit_code.empty"


def test_wrong_length():
    error = _error("91350100M000100Y4")
    assert error.code == "credit_code.length"
    assert error.params == {"given": 17}


@pytest.mark.parametrize("raw, position, char", [("91350100M0001O0Y43", 14, "O"), ("9135-100M000100Y43", 5, "-")])
def test_bad_character_is_named(raw, position, char):
    error = _error(raw)
    assert error.code == "credit_code.characters"
    assert error.params == {"position": position, "char": char}


def test_check_character_mismatch():
    error = _error("91350100M000100Y44")
    assert error.code == "credit_code.check_character"
    assert error.params == {"expected": "3", "given": "4"}
