from datetime import date

import pytest

from exam_center.domain.errors import ValidationError
from exam_center.domain.idcard import (
    CitizenId,
    Sex,
    check_character,
    make_id_number,
    mask_id_number,
    parse_id_number,
)

TODAY = date(2025, 6, 1)


def _error(raw: str, today: date = TODAY) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_id_number(raw, today=today)
    assert caught.value.field == "id_number"
    return caught.value


def test_published_examples_are_valid():
    assert parse_id_number("11010519491231002X", today=TODAY) == CitizenId(
        number="11010519491231002X",
        address_code="110105",
        birth_date=date(1949, 12, 31),
        sex=Sex.FEMALE,
        converted_from_legacy=False,
    )
    citizen = parse_id_number("440524188001010014", today=TODAY)
    assert citizen.birth_date == date(1880, 1, 1)
    assert citizen.sex == "M"


def test_check_character_covers_x_and_digits():
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


def test_whitespace_and_lowercase_x_are_normalised():
    assert parse_id_number("  11010519491231002x\n", today=TODAY).number == "11010519491231002X"


def test_legacy_15_digit_number_is_converted():
    citizen = parse_id_number("110105491231002", today=TODAY)
    assert citizen.number == "11010519491231002X"
    assert citizen.birth_date == date(1949, 12, 31)
    assert citizen.converted_from_legacy is True
    assert citizen.sex is Sex.FEMALE


def test_make_id_number_round_trips_and_encodes_sex():
    male = make_id_number("320106", date(1990, 2, 28), 123)
    female = make_id_number("320106", date(1990, 2, 28), 124)
    assert male == "32010619900228123" + check_character("32010619900228123")
    assert parse_id_number(male, today=TODAY).sex is Sex.MALE
    assert parse_id_number(female, today=TODAY).sex is Sex.FEMALE


@pytest.mark.parametrize("address_code, sequence", [("32010", 1), ("32010a", 1), ("320106", 1000), ("320106", -1)])
def test_make_id_number_rejects_bad_parts(address_code, sequence):
    with pytest.raises(ValueError):
        make_id_number(address_code, date(1990, 1, 1), sequence)


def test_check_character_needs_17_digits():
    with pytest.raises(ValueError):
        check_character("1101051949123100")


def test_mask_keeps_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("110105491231002") == "110105*****1002"
    assert mask_id_number("1234567890") == "**********"


def test_empty():
    assert _error("  ").code == "id_number.empty"


@pytest.mark.parametrize("raw, given", [("1101051949123100", 16), ("11010519491231002X1", 19)])
def test_wrong_length(raw, given):
    error = _error(raw)
    assert error.code == "id_number.length"
    assert error.params == {"given": given}
    assert "18" in str(error) and "15" in str(error) and str(given) in str(error)


@pytest.mark.parametrize(
    "raw, position, char",
    [
        ("1101051949123100X2", 17, "X"),  # X only as the 18th character
        ("11010519491231002Y", 18, "Y"),
        ("11010549123100X", 15, "X"),  # legacy numbers have no check character
        ("110105-9491231002X", 7, "-"),
    ],
)
def test_bad_characters(raw, position, char):
    error = _error(raw)
    assert error.code == "id_number.characters"
    assert error.params == {"position": position, "char": char}


@pytest.mark.parametrize("prefix", ["00", "10", "16", "24", "38", "47", "55", "66", "72", "84", "99"])
def test_unknown_province(prefix):
    body = prefix + "010519491231002"
    error = _error(body + check_character(body))
    assert error.code == "id_number.region"
    assert error.params == {"prefix": prefix}


@pytest.mark.parametrize(
    "prefix", ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82", "83"]
)
def test_every_province_range_boundary_is_accepted(prefix):
    assert parse_id_number(make_id_number(prefix + "0101", date(1980, 1, 1), 1), today=TODAY)


@pytest.mark.parametrize("date_digits", ["19490230", "19491301", "19490000", "20230229"])
def test_impossible_birth_date(date_digits):
    body = "110105" + date_digits + "002"
    error = _error(body + check_character(body))
    assert error.code == "id_number.birth_date"
    assert error.params == {"digits": date_digits}


def test_impossible_legacy_birth_date():
    error = _error("110105490230002")
    assert error.code == "id_number.birth_date"
    assert error.params == {"digits": "19490230"}


def test_leap_day_birth_date_is_real():
    assert parse_id_number(make_id_number("110105", date(2000, 2, 29), 2), today=TODAY).birth_date == date(2000, 2, 29)


def test_future_birth_date():
    number = make_id_number("110105", date(2025, 6, 2), 1)
    error = _error(number, today=date(2025, 6, 1))
    assert error.code == "id_number.future_birth_date"
    assert error.params == {"birth_date": "2025-06-02"}
    assert parse_id_number(number, today=date(2025, 6, 2)).birth_date == date(2025, 6, 2)


def test_check_character_mismatch_names_the_expected_character():
    error = _error("110105194912310021")
    assert error.code == "id_number.check_character"
    assert error.params == {"expected": "X", "given": "1"}
    assert "18th" in str(error) and "X" in str(error)


def test_transposed_digits_are_caught():
    error = _error("11010519491213002X")  # 1231 typed as 1213
    assert error.code == "id_number.check_character"
