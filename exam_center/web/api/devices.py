"""What a device agent asks the centre about itself."""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from exam_center.models import DeviceKind
from exam_center.web.policy import allow_devices

from .schemas import DeviceSchema

bp = Blueprint("api_devices", __name__, url_prefix="/devices", description="Device agents")


@bp.route("/me")
@allow_devices(*DeviceKind)
@bp.response(200, DeviceSchema)
@bp.doc(security=[{"deviceToken": []}])
def me():
    """The calling device, identified by its bearer token."""
    device = g.device
    return {"id": device.id, "kind": device.kind.value, "name": device.name, "location": device.location,
            "organisation_id": device.organisation_id, "organisation_name": device.organisation.name}
