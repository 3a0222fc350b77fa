"""exam_center/domain/contact.py: names, phone numbers, e-mail addresses, region codes and free text."""
from __future__ import annotations

import unicodedata

import pytest

from exam_center.domain.contact import parse_email, parse_person_name, parse_phone, parse_region_code, parse_text
from exam_center.domain.errors import ValidationError


def refused(parse, raw, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse(raw, **kwargs)
    return caught.value


# --- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("张三", "张三"),
    ("  欧阳娜娜 ", "欧阳娜娜"),
    ("\u3000李四\u3000", "李四"),  # ideographic spaces from Chinese input methods
    ("阿依古丽·买买提", "阿依古丽·买买提"),  # minority names with a middle dot
    ("迪丽热巴・迪力木拉提", "迪丽热巴・迪力木拉提"),  # katakana middle dot, as some IMEs type it
    ("John Smith", "John Smith"),
    ("Mary-Jane O.", "Mary-Jane O."),
    ("㐀", "㐀"),  # CJK Extension A
    ("王" * 50, "王" * 50),
])
def test_good_names(raw, expected):
    assert parse_person_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", None, "\u3000"])
def test_empty_name(raw):
    error = refused(parse_person_name, raw)
    assert (error.code, error.field) == ("name.empty", "name")
    assert error.render() == "Enter the name."


def test_name_too_long():
    error = refused(parse_person_name, "王" * 51)
    assert (error.code, error.field, error.params) == ("name.too_long", "name", {"max": 50})
    assert error.render() == "The name is longer than 50 characters."


@pytest.mark.parametrize("raw", ["张三1", "1张三", "-张三", "张 三\n李四", "张\x00三", "Zhang_San", "张三!",
                                 "<script>", "Ζήνων", "Иван"])
def test_bad_characters_in_name(raw):
    error = refused(parse_person_name, raw)
    assert (error.code, error.field) == ("name.characters", "name")


@pytest.mark.parametrize("raw", ["·", " ・ ", "··", "·-"])
def test_name_of_only_dots_is_refused(raw):
    assert refused(parse_person_name, raw).code == "name.characters"


def test_name_field_can_be_renamed():
    assert refused(parse_person_name, "", field="display_name").field == "display_name"
    assert refused(parse_person_name, "x1", field="display_name").field == "display_name"


@pytest.mark.parametrize("raw", ["王𠮷", "李𪚥"])
def test_rare_chinese_characters_in_names(raw):
    assert all(unicodedata.name(ch).startswith("CJK UNIFIED IDEOGRAPH") for ch in raw)
    assert parse_person_name(raw) == raw


# --- phone numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"),
    ("19912345678", "19912345678"),
    (" 138 0013 8000 ", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("(010)12345678", "01012345678"),
    ("010-12345678", "010-12345678"),
    ("0755-1234567", "0755-1234567"),
    ("07551234567", "07551234567"),
])
def test_good_phones(raw, expected):
    assert parse_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", None, "+86", " ( ) "])
def test_empty_phone(raw):
    error = refused(parse_phone, raw)
    assert (error.code, error.field) == ("phone.empty", "phone")


@pytest.mark.parametrize("raw", [
    "1380013800",      # 10 digits
    "138001380001",    # 12 digits
    "12800138000",     # second digit 2 is not a mobile prefix
    "23800138000",     # does not start with 1
    "010-123456",      # landline too short
    "010-123456789",   # landline too long
    "10-12345678",     # area code must start with 0
    "010--12345678",
    "1380013800O",     # letter O for zero
    "138-0013-8000",   # hyphens inside a mobile number
    "+85213800138000",
    "13800138000\x00",
])
def test_bad_phones(raw):
    error = refused(parse_phone, raw)
    assert (error.code, error.field) == ("phone.format", "phone")
    assert error.params == {"value": raw.strip()[:30].replace("\x00", "\ufffd")}


def test_phone_error_quotes_at_most_30_characters():
    raw = "9" * 100
    error = refused(parse_phone, f"  {raw}  ", field="contact_phone")
    assert error.field == "contact_phone"
    assert error.params["value"] == "9" * 30
    assert error.render().startswith("'" + "9" * 30 + "' is not a phone number")


@pytest.mark.parametrize("parse, raw", [
    (parse_phone, "13８００１３８０００"),
    (parse_phone, "010-١٢٣٤٥٦٧٨"),
    (parse_region_code, "1１０１０５"),
])
def test_non_ascii_digits_are_refused_or_normalised(parse, raw):
    try:
        value = parse(raw)
    except ValidationError:
        return
    assert value.isascii(), f"accepted {value!r}"


# --- e-mail -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    ("wang.fang@example.cn", "wang.fang@example.cn"),
    ("  a+tag@mail.example.com.cn ", "a+tag@mail.example.com.cn"),
    ("张三@例子.中国", "张三@例子.中国"),
])
def test_good_emails(raw, expected):
    assert parse_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_email_is_optional(raw):
    assert parse_email(raw) is None


@pytest.mark.parametrize("raw", ["wang", "wang@", "@example.cn", "wang@example", "wang@@example.cn",
                                 "wang fang@example.cn", "wang@exa mple.cn", "a@b.", "a@.c"])
def test_bad_emails(raw):
    error = refused(parse_email, raw)
    assert (error.code, error.field) == ("email.format", "email")
    assert error.params == {"value": raw.strip()[:40]}
    assert error.render() == f"'{raw.strip()[:40]}' is not an e-mail address."


def test_email_longer_than_120_is_refused():
    raw = "a" * 110 + "@example.cn"  # 121 characters
    assert len(raw) == 121
    error = refused(parse_email, raw)
    assert error.code == "email.format"
    assert error.params["value"] == raw[:40]
    assert parse_email(raw[1:]) == raw[1:]  # 120 is fine


def test_email_field_can_be_renamed():
    assert refused(parse_email, "x", field="contact_email").field == "contact_email"


@pytest.mark.parametrize("raw", ["a\x00b@example.cn", "a\x07b@example.cn", "ab@exam\x1bple.cn"])
def test_email_with_control_characters_is_refused(raw):
    assert refused(parse_email, raw).code == "email.format"


# --- region codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [("110105", "110105"), (" 440305 ", "440305"), ("820000", "820000")])
def test_good_region_codes(raw, expected):
    assert parse_region_code(raw) == expected


@pytest.mark.parametrize("raw", ["", None, "   ", "11010", "1101050", "010105", "910000", "11010A", "11 0105",
                                 "110105\n1"])
def test_bad_region_codes(raw):
    error = refused(parse_region_code, raw)
    assert (error.code, error.field) == ("region_code.format", "region_code")
    assert error.render() == "The region code must be 6 digits (GB/T 2260), e.g. 110105."


def test_region_code_field_can_be_renamed():
    assert refused(parse_region_code, "x", field="region").field == "region"


# --- free text --------------------------------------------------------------------------------------


def test_text_is_trimmed():
    assert parse_text("  北京市朝阳区  ", field="address", max_length=10) == "北京市朝阳区"


def test_required_text():
    for raw in ("", "  ", None):
        error = refused(parse_text, raw, field="name", max_length=10)
        assert (error.code, error.field) == ("text.empty", "name")
        assert error.render() == "This field is required."


def test_optional_text():
    assert parse_text(None, field="address", max_length=10, required=False) == ""
    assert parse_text("   ", field="address", max_length=10, required=False) == ""


def test_text_length_limit():
    assert parse_text("字" * 10, field="address", max_length=10) == "字" * 10
    error = refused(parse_text, "字" * 11, field="address", max_length=10)
    assert (error.code, error.field, error.params) == ("text.too_long", "address", {"max": 10})
    assert error.render() == "At most 10 characters are allowed."
    # The limit applies after trimming.
    assert parse_text("  " + "字" * 10 + "  ", field="address", max_length=10) == "字" * 10
    # Optional text still has a limit.
    assert refused(parse_text, "x" * 11, field="employer", max_length=10, required=False).code == "text.too_long"


@pytest.mark.parametrize("raw", ["a\x00b", "a\tb", "第一行\n第二行", "a\rb", "a\x1fb", "a\x1bb"])
def test_control_characters_are_refused(raw):
    error = refused(parse_text, raw, field="address", max_length=100, required=False)
    assert (error.code, error.field) == ("text.control_characters", "address")
    assert error.render() == "The text contains control characters."


@pytest.mark.parametrize("raw", ["a\x7fb", "a\x85b", "a\x9bb"])
def test_other_control_characters_are_refused(raw):
    assert all(unicodedata.category(ch) in ("Ll", "Cc") for ch in raw)
    assert refused(parse_text, raw, field="address", max_length=100).code == "text.control_characters"
