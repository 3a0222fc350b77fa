"""Names, phone numbers, e-mail addresses, region codes and free text as people type them."""
from __future__ import annotations

import re
import unicodedata

from .errors import N_, ValidationError

# Digits are ASCII only: full-width digits typed through an IME are folded to ASCII first (NFKC).
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")
_REGION = re.compile(r"^[1-8][0-9]{5}$")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
# Han ideographs in every block an ID card may print (basic, extension A, compatibility, B–H),
# Latin letters for foreign names; the dots of 少数民族 and foreign names only between letters.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_LETTER = f"[{_HAN}A-Za-z]"
_NAME = re.compile(rf"^{_LETTER}(?:[{_HAN}A-Za-z \-\u00b7\u30fb.]*{_LETTER})?\.?$")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def _digits(raw: str | None) -> str:
    return unicodedata.normalize("NFKC", raw or "")


def parse_person_name(raw: str | None, *, field: str = "name") -> str:
    name = (raw or "").strip()
    if not name:
        raise ValidationError("name.empty", N_("Enter the name."), field=field)
    if len(name) > 50:
        raise ValidationError("name.too_long", N_("The name is longer than %(max)s characters."), field=field, max=50)
    if not _NAME.match(name):
        raise ValidationError(
            "name.characters",
            N_("The name may contain only Chinese or Latin letters, with spaces, '·' or '-' between them."),
            field=field,
        )
    return name


def parse_phone(raw: str | None, *, field: str = "phone") -> str:
    """A mainland mobile number (11 digits, starting 13–19) or a landline with area code."""
    phone = re.sub(r"[\s()]", "", _digits(raw)).removeprefix("+86")
    if not phone:
        raise ValidationError("phone.empty", N_("Enter a phone number."), field=field)
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise ValidationError(
            "phone.format",
            N_("'%(value)s' is not a phone number: give an 11-digit mobile number or a landline with area code."),
            field=field, value=_printable((raw or "").strip()[:30]),
        )
    return phone


def parse_email(raw: str | None, *, field: str = "email") -> str | None:
    email = (raw or "").strip()
    if not email:
        return None
    if len(email) > 120 or not _EMAIL.match(email):
        raise ValidationError("email.format", N_("'%(value)s' is not an e-mail address."), field=field,
                              value=_printable(email[:40]))
    return email


def parse_region_code(raw: str | None, *, field: str = "region_code") -> str:
    """A 6-digit administrative division code (GB/T 2260), e.g. 110105."""
    code = _digits(raw).strip()
    if not _REGION.match(code):
        raise ValidationError("region_code.format",
                              N_("The region code must be 6 digits (GB/T 2260), e.g. 110105."), field=field)
    return code


def parse_text(raw: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    """Free text on one line: trimmed, length-checked, no control characters."""
    text = (raw or "").strip()
    if required and not text:
        raise ValidationError("text.empty", N_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError("text.too_long", N_("At most %(max)s characters are allowed."),
                              field=field, max=max_length)
    if has_control_characters(text):
        raise ValidationError("text.control_characters", N_("The text contains control characters."), field=field)
    return text


def _printable(text: str) -> str:
    """Echo user input back without control characters (they would break pages and logs)."""
    return "".join("\ufffd" if unicodedata.category(ch) == "Cc" else ch for ch in text)
