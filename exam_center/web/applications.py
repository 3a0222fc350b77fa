"""Exam applications (考试申请) and their eligibility-gate results."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("applications", __name__)
