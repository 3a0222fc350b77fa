import copy
import json
from datetime import date
from importlib.resources import files

import pytest

from exam_center.domain.catalogue import load_catalogue, parse_catalogue
from exam_center.domain.education import Education
from exam_center.domain.errors import NotFound
from exam_center.domain.rulesets import ORDER30_2015

CATALOGUE = load_catalogue()


def _document() -> dict:
    return json.loads(files("exam_center.domain").joinpath("data", "catalogue.json").read_text(encoding="utf-8"))


def test_eleven_categories_and_their_item_counts():
    assert [category.code for category in CATALOGUE.categories] == [str(n) for n in range(1, 12)]
    counts = {category.code: len(CATALOGUE.items_in(category.code)) for category in CATALOGUE.categories}
    assert counts == {"1": 6, "2": 3, "3": 2, "4": 2, "5": 10, "6": 8, "7": 1, "8": 1, "9": 16, "10": 5, "11": 0}


def test_electrical_items_keep_order30_numbering():
    names = {item.code: item.name_zh for item in CATALOGUE.items_in("1")}
    assert names == {
        "1.1": "高压电工作业",
        "1.2": "低压电工作业",
        "1.3": "防爆电气作业",
        "1.4": "电力电缆作业",
        "1.5": "继电保护作业",
        "1.6": "电气试验作业",
    }


def test_item_details():
    item = CATALOGUE.item("1.2")
    assert item.category_code == "1"
    assert item.min_education is Education.JUNIOR_MIDDLE
    assert (item.initial_training.theory, item.initial_training.practical, item.initial_training.total) == (88, 60, 148)
    assert item.review_training_hours == 8
    assert item.effective_to is None
    assert item.note is None


def test_total_only_and_unknown_training_hours():
    refrigeration = CATALOGUE.item("4.1").initial_training
    assert (refrigeration.theory, refrigeration.practical, refrigeration.total) == (None, None, 100)
    assert CATALOGUE.item("5.1").initial_training.total is None


def test_newer_electrical_items_are_dated_and_flagged_uncertain():
    for code in ("1.4", "1.5", "1.6"):
        item = CATALOGUE.item(code)
        assert item.effective_from == date(2018, 1, 1)
        assert "UNCERTAIN" in item.note
        assert not item.in_force_on(date(2017, 12, 31))
        assert item.in_force_on(date(2018, 1, 1))
    assert CATALOGUE.item("1.1").effective_from == date(2010, 7, 1)


def test_hazardous_chemicals_need_senior_high_like_the_rule_set():
    for item in CATALOGUE.items:
        assert item.min_education is ORDER30_2015.required_education(item.category_code)
    assert CATALOGUE.item("9.16").min_education is Education.SENIOR_HIGH


def test_default_subject_weights():
    assert CATALOGUE.subject_weights("2.1") == {"K1": 20, "K2": 40, "K3": 20, "K4": 20}
    for item in CATALOGUE.items:
        assert sum(CATALOGUE.subject_weights(item.code).values()) == 100


def test_unknown_item():
    with pytest.raises(NotFound) as caught:
        CATALOGUE.item("1.7")
    assert caught.value.code == "catalogue.unknown_item"
    assert caught.value.field == "item_code"
    assert caught.value.params == {"item_code": "1.7"}


def test_unknown_category():
    with pytest.raises(NotFound) as caught:
        CATALOGUE.items_in("12")
    assert caught.value.code == "catalogue.unknown_category"
    assert caught.value.field == "category_code"
    assert caught.value.params == {"category_code": "12"}


def test_per_item_weight_override():
    document = _document()
    document["items"][0]["practical_weights"] = {"K1": 10, "K2": 40, "K3": 20, "K4": 30}
    catalogue = parse_catalogue(document)
    assert catalogue.subject_weights(document["items"][0]["code"]) == {"K1": 10, "K2": 40, "K3": 20, "K4": 30}


def _broken(mutate) -> str:
    document = copy.deepcopy(_document())
    mutate(document)
    with pytest.raises(ValueError) as caught:
        parse_catalogue(document)
    return str(caught.value)


def _item(document, code):
    return next(item for item in document["items"] if item["code"] == code)


def test_broken_duplicate_item_code():
    message = _broken(lambda d: _item(d, "1.2").update(code="1.1"))
    assert message == "duplicate item code '1.1'"


def test_broken_duplicate_category_code():
    message = _broken(lambda d: d["categories"][1].update(code="1"))
    assert message == "duplicate category code '1'"


def test_broken_unknown_category():
    message = _broken(lambda d: _item(d, "7.1").update(category="12", code="12.1"))
    assert message == "item '12.1': category '12' does not exist"


def test_broken_code_outside_its_category():
    assert "must start with its category code '7'" in _broken(lambda d: _item(d, "7.1").update(code="8.2"))


def test_broken_default_weights():
    message = _broken(lambda d: d["practical_subjects"][0].update(weight=25))
    assert message == "default practical subjects: weights sum to 105, not 100"


def test_broken_item_weights():
    message = _broken(lambda d: _item(d, "2.1").update(practical_weights={"K1": 20, "K2": 40, "K3": 20, "K4": 30}))
    assert message == "item '2.1' practical_weights: weights sum to 110, not 100"


def test_broken_item_weight_subjects():
    message = _broken(lambda d: _item(d, "2.1").update(practical_weights={"K1": 60, "K2": 40}))
    assert message == "item '2.1': practical_weights must give exactly K1, K2, K3, K4"


def test_broken_education():
    message = _broken(lambda d: _item(d, "9.1").update(min_education="high_school"))
    assert message == "item '9.1': min_education 'high_school' is not an education level"


def test_broken_training_total():
    message = _broken(lambda d: _item(d, "1.2")["initial_training_hours"].update(total=150))
    assert message == "item '1.2': total hours 150 differ from theory 88 + practical 60"


def test_broken_half_split_hours():
    message = _broken(lambda d: _item(d, "1.2")["initial_training_hours"].update(practical=None))
    assert message == "item '1.2': give both theory and practical hours, or neither"


def test_broken_date_and_date_order():
    assert _broken(lambda d: _item(d, "1.1").update(effective_from="2010-13-01")) == (
        "item '1.1' effective_from: '2010-13-01' is not a date in the form YYYY-MM-DD"
    )
    assert "is before effective_from" in _broken(lambda d: _item(d, "1.1").update(effective_to="2009-01-01"))


def test_broken_missing_and_unknown_keys():
    assert _broken(lambda d: _item(d, "1.1").pop("name_en")) == "item '1.1': missing name_en"
    assert _broken(lambda d: _item(d, "1.1").update(weights={})) == "item '1.1': unknown weights"
    assert _broken(lambda d: d.pop("items")) == "catalogue: missing items"
    assert _broken(lambda d: d.update(items={})) == "catalogue: items must be a list, got dict"


def test_broken_negative_hours():
    assert _broken(lambda d: _item(d, "1.1").update(review_training_hours=-8)) == (
        "item '1.1': review_training_hours must be a non-negative integer, got -8"
    )
