"""The person registry for exam administrators' tools."""
from __future__ import annotations

from flask_smorest import Blueprint

from exam_center.domain.idcard import mask_id_number
from exam_center.models import Person, Role
from exam_center.services.people import get_person, register_person
from exam_center.web.policy import allow
from exam_center.web.session import current_actor, db_session

from .schemas import PersonCreateSchema, PersonSchema

bp = Blueprint("api_persons", __name__, url_prefix="/persons", description="人员库 person registry")
_SECURITY = [{"staffSession": []}]


def _view(person: Person) -> dict:
    return {"id": person.id, "id_number_masked": mask_id_number(person.id_number), "name": person.name,
            "sex": person.sex, "birth_date": person.birth_date, "education": person.education,
            "phone": person.phone, "email": person.email, "employer": person.employer,
            "has_photo": person.photo_path is not None}


@bp.route("", methods=["POST"])
@allow(Role.EXAM_ADMIN, Role.SYSTEM_ADMIN)
@bp.arguments(PersonCreateSchema)
@bp.response(201, PersonSchema)
@bp.doc(security=_SECURITY)
def create(body: dict):
    """Register a person; every invalid field is reported in ``details``."""
    session = db_session()
    person = register_person(session, current_actor(), **body)
    session.commit()
    return _view(person)


@bp.route("/<int:person_id>")
@allow(Role.EXAM_ADMIN, Role.SYSTEM_ADMIN)
@bp.response(200, PersonSchema)
@bp.doc(security=_SECURITY)
def read(person_id: int):
    return _view(get_person(db_session(), person_id))
