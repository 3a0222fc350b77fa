"""Education levels (文化程度), ordered so eligibility rules can compare them."""
from __future__ import annotations

from enum import StrEnum

from exam_center.domain.errors import N_, ValidationError


class Education(StrEnum):
    """Highest completed schooling, lowest first.

    Comparison is by level, not by the string value: ``Education.BACHELOR > Education.SENIOR_HIGH``.
    Comparing with anything that is not an ``Education`` raises ``TypeError`` rather than
    silently falling back to alphabetical ``str`` ordering.
    """

    PRIMARY = "primary"
    JUNIOR_MIDDLE = "junior_middle"
    # The regulation's "高中或者相当于高中" covers the vocational equivalents too.
    SENIOR_HIGH = "senior_high"
    JUNIOR_COLLEGE = "junior_college"
    BACHELOR = "bachelor"
    POSTGRADUATE = "postgraduate"

    @property
    def level(self) -> int:
        return _LEVELS[self]

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    def __lt__(self, other: object) -> bool:
        return self.level < _level_of(other)

    def __le__(self, other: object) -> bool:
        return self.level <= _level_of(other)

    def __gt__(self, other: object) -> bool:
        return self.level > _level_of(other)

    def __ge__(self, other: object) -> bool:
        return self.level >= _level_of(other)


_LEVELS = {education: index for index, education in enumerate(Education)}

_LABELS_ZH = {
    Education.PRIMARY: "小学",
    Education.JUNIOR_MIDDLE: "初中",
    Education.SENIOR_HIGH: "高中（含中专、职高、技校）",
    Education.JUNIOR_COLLEGE: "大专",
    Education.BACHELOR: "本科",
    Education.POSTGRADUATE: "研究生",
}

# Words people actually write on forms and diplomas, besides the labels above.
_ZH_SYNONYMS = {
    "高中": Education.SENIOR_HIGH,
    "中专": Education.SENIOR_HIGH,
    "职高": Education.SENIOR_HIGH,
    "技校": Education.SENIOR_HIGH,
    "中职": Education.SENIOR_HIGH,
    "专科": Education.JUNIOR_COLLEGE,
    "大学专科": Education.JUNIOR_COLLEGE,
    "大学本科": Education.BACHELOR,
    "硕士": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
}

_BY_TEXT = {
    **{education.value: education for education in Education},
    **{label: education for education, label in _LABELS_ZH.items()},
    **_ZH_SYNONYMS,
}


def _level_of(other: object) -> int:
    if not isinstance(other, Education):
        raise TypeError(f"cannot compare Education with {type(other).__name__}")
    return other.level


def parse_education(raw: str | Education | None) -> Education:
    """Read an education level from its English value or a Chinese label such as 初中 or 中专."""
    if isinstance(raw, Education):
        return raw
    text = (raw or "").strip()
    if not text:
        raise ValidationError("education.empty", N_("Please choose an education level."), field="education")
    education = _BY_TEXT.get(text) or _BY_TEXT.get(text.lower())
    if education is None:
        raise ValidationError(
            "education.unknown",
            N_("Unknown education level: %(value)s."),
            field="education",
            value=text,
        )
    return education
