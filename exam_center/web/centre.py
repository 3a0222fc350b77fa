"""Exam-centre scheduling (考务): halls, sessions, scheduling, staff assignment, rosters."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("centre", __name__, url_prefix="/centre")
