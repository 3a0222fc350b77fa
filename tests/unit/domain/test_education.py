import pytest

from exam_center.domain.education import Education, parse_education
from exam_center.domain.errors import ValidationError


def test_levels_are_ordered_lowest_first():
    assert Education.PRIMARY < Education.JUNIOR_MIDDLE < Education.SENIOR_HIGH
    assert Education.POSTGRADUATE > Education.BACHELOR >= Education.BACHELOR
    assert Education.JUNIOR_COLLEGE <= Education.BACHELOR


def test_order_is_by_level_not_by_string_value():
    # Alphabetically "bachelor" < "junior_middle"; by level it is the other way round.
    assert Education.BACHELOR > Education.JUNIOR_MIDDLE


def test_comparing_with_a_plain_string_is_refused():
    with pytest.raises(TypeError):
        Education.BACHELOR > "junior_middle"


def test_values_and_labels():
    assert Education.SENIOR_HIGH == "senior_high"
    assert Education.JUNIOR_MIDDLE.label_zh == "初中"
    assert all(education.label_zh for education in Education)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("junior_middle", Education.JUNIOR_MIDDLE),
        (" Bachelor ", Education.BACHELOR),
        ("初中", Education.JUNIOR_MIDDLE),
        ("中专", Education.SENIOR_HIGH),
        ("技校", Education.SENIOR_HIGH),
        ("职高", Education.SENIOR_HIGH),
        ("高中（含中专、职高、技校）", Education.SENIOR_HIGH),
        ("大专", Education.JUNIOR_COLLEGE),
        ("硕士", Education.POSTGRADUATE),
        (Education.PRIMARY, Education.PRIMARY),
    ],
)
def test_parse_accepts_value_label_and_common_names(raw, expected):
    assert parse_education(raw) is expected


def test_every_label_round_trips():
    for education in Education:
        assert parse_education(education.label_zh) is education
        assert parse_education(education.value) is education


def test_unknown_level():
    with pytest.raises(ValidationError) as caught:
        parse_education("幼儿园")
    assert caught.value.code == "education.unknown"
    assert caught.value.field == "education"
    assert caught.value.params == {"value": "幼儿园"}


def test_empty_level():
    with pytest.raises(ValidationError) as caught:
        parse_education("   ")
    assert caught.value.code == "education.empty"
    assert caught.value.field == "education"
