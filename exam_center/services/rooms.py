"""Exam rooms of a centre: theory halls with seats, practical halls with stations."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from exam_center.domain.contact import parse_text
from exam_center.domain.errors import N_, Conflict
from exam_center.models import ExamRoom, RoomKind, Seat, Station

from .audit import Actor, record
from .organisations import get_exam_centre


def create_room(session: Session, actor: Actor, *, centre_id: int, name: str, kind: RoomKind) -> ExamRoom:
    name = parse_text(name, field="name", max_length=60)
    centre = get_exam_centre(session, centre_id, Conflict(
        "room.organisation_kind", N_("Exam rooms belong to an exam centre."), field="centre_id"))
    if session.scalar(sa.select(ExamRoom.id).where(ExamRoom.centre_id == centre.id, ExamRoom.name == name)):
        raise Conflict("room.duplicate_name", N_("This exam centre already has a room named '%(name)s'."),
                       field="name", name=name)
    room = ExamRoom(centre_id=centre.id, name=name, kind=kind)
    session.add(room)
    session.flush()
    record(session, actor, "room.create", "exam_room", room.id, after={"name": name, "kind": kind,
                                                                        "centre_id": centre.id})
    return room


def add_places(session: Session, actor: Actor, room: ExamRoom, places: list[tuple[str, str | None]]) -> int:
    """Add seats (theory) or stations (practical, with the operation item they serve) missing from a room."""
    model = Seat if room.kind is RoomKind.THEORY else Station
    existing = set(session.scalars(sa.select(model.label).where(model.room_id == room.id)))
    added = []
    for label, item_code in places:
        label = parse_text(label, field="label", max_length=10)
        if label in existing:
            continue
        extra = {"operation_item_code": item_code} if model is Station else {}
        session.add(model(room_id=room.id, label=label, **extra))
        existing.add(label)
        added.append(label)
    if added:
        session.flush()
        record(session, actor, "room.places_add", "exam_room", room.id, after={"labels": added})
    return len(added)
