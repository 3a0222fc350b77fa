"""Made-up persons for demos and tests (no real person's data). ID numbers get their check character
computed, so they pass GB 11643 validation."""
from __future__ import annotations

from datetime import date

from ..idcard.card import IdentityCard, id_check_character
from .idcard_reader import opaque_photo

_PEOPLE = (
    # name, sex, ethnicity, birth, address, area code, sequence, issuer, valid from, valid to
    ("张伟", "male", "01", date(1985, 3, 7), "北京市朝阳区建国路88号", "110105", "123", "北京市公安局朝阳分局",
     date(2015, 6, 1), date(2035, 6, 1)),
    ("李娜", "female", "01", date(1990, 11, 23), "广东省广州市天河区体育西路1号", "440106", "244",
     "广州市公安局天河分局", date(2018, 1, 15), date(2038, 1, 15)),
    ("巴特尔", "male", "02", date(1972, 7, 30), "内蒙古自治区呼和浩特市新城区新华大街5号", "150102", "031",
     "呼和浩特市公安局新城分局", date(2012, 4, 2), None),
)


def demo_cards() -> list[IdentityCard]:
    cards = []
    for name, sex, ethnicity, birth, address, area, sequence, issuer, valid_from, valid_to in _PEOPLE:
        body = area + birth.strftime("%Y%m%d") + sequence
        number = body + id_check_character(body)
        cards.append(IdentityCard(name, sex, ethnicity, birth, address, number, issuer, valid_from, valid_to,
                                  opaque_photo(number)))
    return cards
