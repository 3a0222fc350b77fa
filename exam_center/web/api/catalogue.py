"""The special-operations catalogue, read-only."""
from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from exam_center.models import DeviceKind, OperationItem
from exam_center.web.policy import ALL_STAFF, allow_devices
from exam_center.web.session import db_session

from .schemas import OperationItemSchema

bp = Blueprint("api_catalogue", __name__, url_prefix="/catalogue", description="特种作业目录 catalogue")


@bp.route("/items")
@allow_devices(*DeviceKind, roles=tuple(ALL_STAFF))
@bp.response(200, OperationItemSchema(many=True))
@bp.doc(security=[{"staffSession": []}, {"deviceToken": []}])
def items():
    return db_session().scalars(sa.select(OperationItem).options(selectinload(OperationItem.subjects))).all()
