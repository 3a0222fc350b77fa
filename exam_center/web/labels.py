"""Display names of enumerations, translated at render time."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from exam_center.domain.education import Education
from exam_center.models import AttemptStatus, DeviceKind, OrganisationKind, Role, RoomKind

ROLE_LABELS = {
    Role.SYSTEM_ADMIN: _l("System administrator"),
    Role.INSTITUTION_STAFF: _l("Training institution staff"),
    Role.EXAM_ADMIN: _l("Exam administrator"),
    Role.PROCTOR: _l("Proctor"),
    Role.EXAMINER: _l("Practical examiner"),
    Role.CERT_OFFICER: _l("Certification officer"),
    Role.REGULATOR: _l("Regulator"),
    Role.BANK_ADMIN: _l("Question-bank administrator"),
}
ORGANISATION_KIND_LABELS = {
    OrganisationKind.TRAINING_INSTITUTION: _l("Training institution"),
    OrganisationKind.EXAM_CENTRE: _l("Exam centre"),
    OrganisationKind.CERTIFICATION_AUTHORITY: _l("Certification authority"),
}
DEVICE_KIND_LABELS = {
    DeviceKind.EXAM_TERMINAL: _l("Exam terminal"),
    DeviceKind.HALL_AGENT: _l("Hall entrance agent"),
    DeviceKind.KIOSK: _l("Certificate kiosk"),
    DeviceKind.PRACTICAL_AGENT: _l("Practical hall agent"),
}
ROOM_KIND_LABELS = {
    RoomKind.THEORY: _l("Theory hall"),
    RoomKind.PRACTICAL: _l("Practical hall"),
}
EDUCATION_LABELS = {
    Education.PRIMARY: _l("Primary school"),
    Education.JUNIOR_MIDDLE: _l("Junior middle school"),
    Education.SENIOR_HIGH: _l("Senior high school or equivalent"),
    Education.JUNIOR_COLLEGE: _l("Junior college"),
    Education.BACHELOR: _l("Bachelor"),
    Education.POSTGRADUATE: _l("Postgraduate"),
}
ATTEMPT_STATUS_LABELS = {
    AttemptStatus.SCHEDULED: _l("Not checked in"),
    AttemptStatus.CHECKED_IN: _l("Checked in"),
    AttemptStatus.IN_PROGRESS: _l("Answering"),
    AttemptStatus.PAUSED: _l("Paused"),
    AttemptStatus.SUBMITTED: _l("Submitted"),
    AttemptStatus.TIMED_OUT: _l("Submitted at the deadline"),
    AttemptStatus.TERMINATED: _l("Terminated"),
    AttemptStatus.ABSENT: _l("Absent"),
}
_TABLES = (ROLE_LABELS, ORGANISATION_KIND_LABELS, DEVICE_KIND_LABELS, ROOM_KIND_LABELS, EDUCATION_LABELS,
           ATTEMPT_STATUS_LABELS)


def label(value) -> str:
    """Template filter: the translated name of any enumeration member above."""
    for table in _TABLES:
        if value in table:
            return str(table[value])
    return str(value)
