"""The card's machine-readable text (rules.md §8.5): 256 bytes of UCS-2LE in fixed-width, space-padded
fields, followed by a 1024-byte WLT photo that only the vendor's decoder can expand (kept opaque here)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..transport.errors import ProtocolError

# (field, characters) in card order; the remaining 18 characters are reserved.
TEXT_LAYOUT = (("name", 15), ("sex", 1), ("ethnicity", 2), ("birth_date", 8), ("address", 35),
               ("id_number", 18), ("issuer", 15), ("valid_from", 8), ("valid_to", 8), ("reserved", 18))
TEXT_SIZE = 256
LONG_TERM = "长期"
SEXES = {"1": "male", "2": "female"}  # GB/T 2261.1; 0 unknown and 9 unspecified never appear on a card
# GB 3304 民族 codes.
ETHNICITIES = dict(enumerate((
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼",
    "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
    "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克",
    "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺"),
    start=1))
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class InvalidCardData(ProtocolError):
    """The reader returned a frame that checks out but whose content is not a valid card."""


def id_check_character(body17: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS)) % 11]


@dataclass(frozen=True)
class IdentityCard:
    name: str
    sex: str  # "male" / "female"
    ethnicity_code: str  # GB 3304, "01" = 汉
    birth_date: date
    address: str
    id_number: str
    issuer: str
    valid_from: date
    valid_to: date | None  # None = 长期 (long-term)
    photo: bytes = b""  # WLT-compressed, opaque

    @property
    def ethnicity(self) -> str:
        return ETHNICITIES.get(int(self.ethnicity_code), self.ethnicity_code)

    @property
    def masked_id_number(self) -> str:
        return self.id_number[:6] + "********" + self.id_number[-4:]

    def __repr__(self) -> str:  # personal data never lands in a log in clear
        return f"IdentityCard(id_number={self.masked_id_number!r})"


def _date(value: str, field: str) -> date:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise InvalidCardData(f"card field {field} is not a date: {value!r}") from None


def decode_text(text: bytes, photo: bytes = b"") -> IdentityCard:
    if len(text) != TEXT_SIZE:
        raise InvalidCardData(f"card text is {len(text)} bytes, expected {TEXT_SIZE}")
    try:
        characters = text.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise InvalidCardData(f"card text is not UCS-2: {exc}") from None
    values, offset = {}, 0
    for field, width in TEXT_LAYOUT:
        values[field] = characters[offset:offset + width].strip(" \x00")
        offset += width
    number = values["id_number"].upper()
    if not re.fullmatch(r"\d{17}[\dX]", number) or id_check_character(number[:17]) != number[17]:
        raise InvalidCardData("card ID number fails the GB 11643 format or check character")
    birth = _date(values["birth_date"], "birth_date")
    if number[6:14] != values["birth_date"]:
        raise InvalidCardData("card birth date differs from the birth date in the ID number")
    if values["sex"] not in SEXES:
        raise InvalidCardData(f"card sex code {values['sex']!r} is not 1 or 2")
    if not values["ethnicity"].isdigit():
        raise InvalidCardData(f"card ethnicity code {values['ethnicity']!r} is not numeric")
    return IdentityCard(
        name=values["name"], sex=SEXES[values["sex"]], ethnicity_code=values["ethnicity"], birth_date=birth,
        address=values["address"], id_number=number, issuer=values["issuer"],
        valid_from=_date(values["valid_from"], "valid_from"),
        valid_to=None if values["valid_to"] == LONG_TERM else _date(values["valid_to"], "valid_to"),
        photo=photo)


def encode_text(card: IdentityCard) -> bytes:
    """The inverse of decode_text, for the emulator."""
    values = {
        "name": card.name, "sex": {v: k for k, v in SEXES.items()}[card.sex], "ethnicity": card.ethnicity_code,
        "birth_date": card.birth_date.strftime("%Y%m%d"), "address": card.address, "id_number": card.id_number,
        "issuer": card.issuer, "valid_from": card.valid_from.strftime("%Y%m%d"),
        "valid_to": card.valid_to.strftime("%Y%m%d") if card.valid_to else LONG_TERM, "reserved": "",
    }
    text = "".join(values[field][:width].ljust(width) for field, width in TEXT_LAYOUT)
    return text.encode("utf-16-le")


def decode_base_info(data: bytes) -> IdentityCard:
    """DATA of a READ_BASE reply: text length, photo length (both big-endian), text, photo."""
    if len(data) < 4:
        raise InvalidCardData(f"read reply carries {len(data)} data bytes, too short for the length header")
    text_length, photo_length = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_length + photo_length:
        raise InvalidCardData(f"read reply announces {text_length}+{photo_length} bytes but carries {len(data) - 4}")
    return decode_text(data[4:4 + text_length], data[4 + text_length:4 + text_length + photo_length])


def encode_base_info(card: IdentityCard) -> bytes:
    text = encode_text(card)
    return len(text).to_bytes(2, "big") + len(card.photo).to_bytes(2, "big") + text + card.photo
