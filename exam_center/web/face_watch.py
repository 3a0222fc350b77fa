"""The queue between the terminals' webcam snapshots and the face engine (考中人脸巡检).

A snapshot request only validates and queues (answered 202 at once), so a terminal never waits for
recognition; one worker thread per server process judges the queue in order. When the queue is full the
snapshot is refused with 503 and the terminal simply sends the next one — monitoring may skip a frame,
the exam never stalls. Snapshot bytes are never logged.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import threading

from flask import Flask

from exam_center.domain.errors import DomainError
from exam_center.services.face_watch import WatchRules, record_snapshot
from exam_center.services.faces import quality_rules

from .faces import face_engine

log = logging.getLogger("exam_center.face_watch")
QUEUE_SIZE = 64


class SnapshotQueue:
    def __init__(self, app: Flask, size: int = QUEUE_SIZE) -> None:
        self._app = app
        self._queue: queue.Queue[tuple[int, bytes, dt.datetime]] = queue.Queue(maxsize=size)
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, attempt_id: int, data: bytes, taken_at: dt.datetime) -> bool:
        """Queue a snapshot; False when the queue is full (the snapshot is dropped, the next one will come)."""
        self._ensure_worker()
        try:
            self._queue.put_nowait((attempt_id, data, taken_at))
        except queue.Full:
            return False
        return True

    def wait_idle(self) -> None:
        """Block until every queued snapshot is judged (tests, and an orderly shutdown)."""
        self._queue.join()

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="face-watch", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            attempt_id, data, taken_at = self._queue.get()
            try:
                with self._app.app_context():
                    self._judge(attempt_id, data, taken_at)
            except DomainError as error:  # e.g. the exam ended meanwhile, or no engine on this server
                log.info("snapshot of attempt %s not judged: %s", attempt_id, error.code)
            except Exception:  # keep watching the other terminals
                log.exception("judging a snapshot of attempt %s failed", attempt_id)
            finally:
                self._queue.task_done()

    def _judge(self, attempt_id: int, data: bytes, taken_at: dt.datetime) -> None:
        extensions = self._app.extensions
        settings = extensions["exam_center.settings"].face
        with extensions["exam_center.db"].transaction() as session:
            record_snapshot(session, extensions["exam_center.evidence"], face_engine(), quality_rules(settings),
                            WatchRules.of(settings), attempt_id, data, taken_at=taken_at)


_CREATE_LOCK = threading.Lock()


def snapshots(app: Flask) -> SnapshotQueue:
    """The process's snapshot queue (one per app, created on first use)."""
    queue_ = app.extensions.get("exam_center.face_watch")
    if queue_ is None:
        with _CREATE_LOCK:
            queue_ = app.extensions.setdefault("exam_center.face_watch", SnapshotQueue(app))
    return queue_


__all__ = ["SnapshotQueue", "snapshots"]
