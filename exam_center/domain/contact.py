"""Names, phone numbers, e-mail addresses and region codes as people type them."""
from __future__ import annotations

import re

from .errors import N_, ValidationError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Chinese names may hold a middle dot (少数民族 and foreign names); Latin names spaces and hyphens.
_NAME = re.compile(r"^[\u3400-\u9fff\u00b7\u30fbA-Za-z][\u3400-\u9fff\u00b7\u30fbA-Za-z .\-]*$")
_REGION = re.compile(r"^[1-8]\d{5}$")


def parse_person_name(raw: str | None, *, field: str = "name") -> str:
    name = (raw or "").strip()
    if not name:
        raise ValidationError("name.empty", N_("Enter the name."), field=field)
    if len(name) > 50:
        raise ValidationError("name.too_long", N_("The name is longer than %(max)s characters."), field=field, max=50)
    if not _NAME.match(name):
        raise ValidationError(
            "name.characters", N_("The name may contain only Chinese or Latin letters, spaces, '·' and '-'."),
            field=field,
        )
    return name


def parse_phone(raw: str | None, *, field: str = "phone") -> str:
    """A mainland mobile number (11 digits, starting 13–19) or a landline with area code."""
    phone = re.sub(r"[\s()]", "", raw or "").removeprefix("+86")
    if not phone:
        raise ValidationError("phone.empty", N_("Enter a phone number."), field=field)
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise ValidationError(
            "phone.format",
            N_("'%(value)s' is not a phone number: give an 11-digit mobile number or a landline with area code."),
            field=field, value=(raw or "").strip()[:30],
        )
    return phone


def parse_email(raw: str | None, *, field: str = "email") -> str | None:
    email = (raw or "").strip()
    if not email:
        return None
    if len(email) > 120 or not _EMAIL.match(email):
        raise ValidationError("email.format", N_("'%(value)s' is not an e-mail address."), field=field,
                              value=email[:40])
    return email


def parse_region_code(raw: str | None, *, field: str = "region_code") -> str:
    """A 6-digit administrative division code (GB/T 2260), e.g. 110105."""
    code = (raw or "").strip()
    if not _REGION.match(code):
        raise ValidationError("region_code.format",
                              N_("The region code must be 6 digits (GB/T 2260), e.g. 110105."), field=field)
    return code


def parse_text(raw: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    """Free text: trimmed, length-checked, no control characters."""
    text = (raw or "").strip()
    if required and not text:
        raise ValidationError("text.empty", N_("This field is required."), field=field)
    if len(text) > max_length:
        raise ValidationError("text.too_long", N_("At most %(max)s characters are allowed."),
                              field=field, max=max_length)
    if any(ord(ch) < 32 for ch in text):
        raise ValidationError("text.control_characters", N_("The text contains control characters."), field=field)
    return text
