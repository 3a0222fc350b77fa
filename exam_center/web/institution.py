"""Pages for training-institution staff (培训机构): classes, trainees, attendance, the class archive."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("institution", __name__, url_prefix="/institution")
