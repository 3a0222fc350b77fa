"""The web app for a WSGI server with several processes: ``gunicorn 'exam_center.wsgi:app'``; settings come
from the environment, as for ``exam-center run``."""
from __future__ import annotations

from . import create_app, serving

app = serving(create_app())
