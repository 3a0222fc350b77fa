"""Admission tickets (准考证) as PDF."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tickets", __name__)
