"""The centre's local calendar day (times are stored in UTC, shown in the configured zone)."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app

from exam_center.domain.workdays import WorkdayCalendar
from exam_center.models import utcnow


def workdays() -> WorkdayCalendar:
    return current_app.extensions["exam_center.workdays"]


def local_today() -> date:
    zone = ZoneInfo(current_app.extensions["exam_center.settings"].timezone)
    return utcnow().astimezone(zone).date()
