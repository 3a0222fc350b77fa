"""Citizen ID numbers (公民身份号码, GB 11643-1999): parsing, check character, masking."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from exam_center.domain.errors import N_, ValidationError

FIELD = "id_number"

# ISO 7064 MOD 11-2: weight i is 2**(17-i) mod 11.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# GB/T 2260 province-level prefixes. Only the province is checked: county codes are retired
# and renumbered over time and a person keeps the number issued under the old code.
# 71/81/82 are Taiwan, Hong Kong, Macau; 83 is used by residence permits for Taiwan residents.
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {str(code) for code in range(31, 38)}
    | {str(code) for code in range(41, 47)}
    | {str(code) for code in range(50, 55)}
    | {str(code) for code in range(61, 66)}
    | {"71", "81", "82", "83"}
)


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


@dataclass(frozen=True)
class CitizenId:
    number: str
    address_code: str
    birth_date: date
    sex: Sex
    converted_from_legacy: bool


def check_character(body17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError(f"expected 17 digits, got {body17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(body17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def make_id_number(address_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid 18-character number; odd sequences are men, even are women."""
    if len(address_code) != 6 or not address_code.isascii() or not address_code.isdigit():
        raise ValueError(f"address code must be 6 digits, got {address_code!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0..999, got {sequence}")
    body = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def mask_id_number(number: str) -> str:
    """Hide the birth date and sequence for display: keep the first 6 and last 4 characters."""
    number = number.strip().upper()
    if len(number) <= 10:
        # Keeping 10 characters of something this short would reveal all of it.
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def parse_id_number(raw: str | None, *, today: date | None = None) -> CitizenId:
    """Validate an 18-digit number, or convert a 15-digit legacy number (GB 11643-1989) to 18."""
    number = (raw or "").strip().upper()
    if not number:
        raise ValidationError("id_number.empty", N_("Please enter the ID number."), field=FIELD)
    if len(number) not in (18, 15):
        raise ValidationError(
            "id_number.length",
            N_("An ID number has 18 characters (15 for an old-style number), but %(given)d were given."),
            field=FIELD,
            given=len(number),
        )
    _check_characters(number)
    _check_region(number[:2])

    legacy = len(number) == 15
    # Legacy numbers carry a two-digit year; they were issued only to people born in the 1900s.
    date_digits = "19" + number[6:12] if legacy else number[6:14]
    birth_date = _birth_date(date_digits)
    if birth_date > (today or date.today()):
        raise ValidationError(
            "id_number.future_birth_date",
            N_("The birth date in the ID number (%(birth_date)s) is in the future."),
            field=FIELD,
            birth_date=birth_date.isoformat(),
        )

    if legacy:
        body = number[:6] + date_digits + number[12:15]
        number = body + check_character(body)
    else:
        expected = check_character(number[:17])
        if number[17] != expected:
            raise ValidationError(
                "id_number.check_character",
                N_(
                    "The ID number does not check out: the 18th character should be %(expected)s,"
                    " not %(given)s. Please look for a mistyped digit."
                ),
                field=FIELD,
                expected=expected,
                given=number[17],
            )

    return CitizenId(
        number=number,
        address_code=number[:6],
        birth_date=birth_date,
        sex=Sex.MALE if int(number[16]) % 2 else Sex.FEMALE,
        converted_from_legacy=legacy,
    )


def _check_characters(number: str) -> None:
    for position, char in enumerate(number, start=1):
        allowed = "0123456789X" if position == 18 else "0123456789"
        if char not in allowed:
            raise ValidationError(
                "id_number.characters",
                N_(
                    "Character %(position)d (%(char)s) is not allowed: an ID number contains only digits,"
                    " and its 18th character may also be X."
                ),
                field=FIELD,
                position=position,
                char=char,
            )


def _check_region(prefix: str) -> None:
    if prefix not in PROVINCE_CODES:
        raise ValidationError(
            "id_number.region",
            N_("The first two digits of the ID number (%(prefix)s) are not a valid province code."),
            field=FIELD,
            prefix=prefix,
        )


def _birth_date(digits: str) -> date:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValidationError(
            "id_number.birth_date",
            N_("The birth date in the ID number (%(digits)s) is not a real date."),
            field=FIELD,
            digits=digits,
        ) from None
