"""The start page shows the rule set in force and a deadline from the holiday calendar (supplement included)."""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import date

import pytest

from exam_center import create_app
from exam_center.domain.rulesets import rule_set_on
from exam_center.domain.workdays import WorkdayCalendar
from exam_center.models import Role
from exam_center.web.dates import local_today


def test_home_shows_rule_set_and_results_deadline(app, login_as):
    client = login_as(Role.EXAM_ADMIN)
    page = client.get("/").get_data(as_text=True)
    with app.test_request_context():
        today = local_today()
    expected = rule_set_on(today).result_publish_deadline(today, WorkdayCalendar())
    assert "ORDER30_2015" in page and "理论考试：120 分钟，满分 100 分，80 分及格" in page
    assert re.search(rf'id="results-due">[^<]*{expected.isoformat()}', page)
    assert ("暂定" in page) == WorkdayCalendar().is_provisional(expected)


def test_holidays_file_supplements_the_calendar(settings, tmp_path):
    supplement = tmp_path / "holidays.json"
    supplement.write_text(json.dumps({"years": [2027], "holidays": ["2027-01-01"], "workdays": ["2027-01-02"]}))
    app = create_app(dataclasses.replace(settings, holidays_file=supplement))
    try:
        calendar = app.extensions["exam_center.workdays"]
        assert not calendar.is_workday(date(2027, 1, 1)) and calendar.is_workday(date(2027, 1, 2))
        assert not calendar.is_provisional(date(2027, 6, 1))
    finally:
        app.extensions["exam_center.db"].dispose()


@pytest.mark.parametrize("content", ['{"years": [2027], "holidays": ["2027-13-01"]}', "not json"])
def test_a_broken_holidays_file_stops_the_start_with_a_clear_message(settings, tmp_path, content):
    supplement = tmp_path / "holidays.json"
    supplement.write_text(content)
    with pytest.raises(SystemExit, match="EXAM_CENTER_HOLIDAYS_FILE=.*holidays.json"):
        create_app(dataclasses.replace(settings, holidays_file=supplement))
