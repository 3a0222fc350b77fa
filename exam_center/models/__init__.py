"""ORM models, one module per aggregate. Importing this package registers every table on ``Base.metadata``."""
from .applications import ApplicationKind, ApplicationStatus, ExamApplication, ExamPart, ExamResult, ReapplicationBan
from .attempts import FINISHED, Attempt, AttemptAnswer, AttemptEvent, AttemptStatus
from .audit import GENESIS_HASH, AuditEvent
from .bank import BankItem, Blueprint, ItemVersion, Paper, ScoredResponse
from .base import Base, utcnow
from .catalogue import OperationCategory, OperationItem, PracticalSubject
from .devices import Device, DeviceKind, DeviceToken
from .face_watch import FaceWatchCheck, WatchOutcome
from .faces import FaceCheck, FaceOutcome, FaceTemplate, ReviewResolution
from .organisations import Organisation, OrganisationKind
from .people import Person
from .rooms import ExamRoom, RoomKind, Seat, Station
from .sessions import Duty, ExamSession, SessionCandidate, SessionStaff, SessionStatus, StaffAffiliation
from .staff import ROLE_ORGANISATION_KINDS, Role, StaffUser
from .training import Attendance, AttendanceMethod, Enrolment, Lesson, LessonKind, TrainingClass

__all__ = [
    "GENESIS_HASH", "AuditEvent", "Base", "utcnow",
    "BankItem", "Blueprint", "ItemVersion", "Paper", "ScoredResponse",
    "OperationCategory", "OperationItem", "PracticalSubject",
    "Device", "DeviceKind", "DeviceToken",
    "FaceCheck", "FaceOutcome", "FaceTemplate", "ReviewResolution", "FaceWatchCheck", "WatchOutcome",
    "Organisation", "OrganisationKind", "Person",
    "ExamRoom", "RoomKind", "Seat", "Station",
    "ROLE_ORGANISATION_KINDS", "Role", "StaffUser",
    "ApplicationKind", "ApplicationStatus", "ExamApplication", "ExamPart", "ExamResult", "ReapplicationBan",
    "Duty", "ExamSession", "SessionCandidate", "SessionStaff", "SessionStatus", "StaffAffiliation",
    "Attendance", "AttendanceMethod", "Enrolment", "Lesson", "LessonKind", "TrainingClass",
    "FINISHED", "Attempt", "AttemptAnswer", "AttemptEvent", "AttemptStatus",
]
