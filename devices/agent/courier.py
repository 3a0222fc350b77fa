"""Delivers the outbox to the centre on one background thread, oldest message first, with back-off.

A message leaves the outbox when the centre answered it: 2xx, or a final 4xx refusal (logged — sending
the same request again would be refused again). While the centre is unreachable the courier keeps the
messages and retries after 0.5 s, 1 s, 2 s … up to ``max_delay``; a new message wakes it at once.
Whoever submitted a message may wait on its future for the centre's reply.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Callable

from .centre import Centre, CentreUnreachable, Reply
from .outbox import Message, Outbox

logger = logging.getLogger(__name__)


class Courier:
    """``on_reply(message, reply)`` runs on the courier thread for every acknowledged message, including
    those queued before a restart that nobody waits for any more; ``on_unreachable(error)`` runs when a
    delivery attempt fails."""

    def __init__(self, outbox: Outbox, centre: Centre, *, on_reply: Callable[[Message, Reply], None] = lambda m, r: None,
                 on_unreachable: Callable[[str], None] = lambda error: None,
                 backoff: tuple[float, float] = (0.5, 30.0)):
        self.outbox = outbox
        self.centre = centre
        self._on_reply, self._on_unreachable = on_reply, on_unreachable
        self._min_delay, self.max_delay = backoff
        self._delay = self._min_delay
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.idle = threading.Event()  # set while the outbox is empty (tests and shutdown wait on it)
        self._thread = threading.Thread(target=self._run, name="outbox courier", daemon=True)

    def start(self) -> "Courier":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self.centre.timeout + 5.0)

    def submit(self, message: Message) -> Future:
        """Store the message durably, then hand it to the courier; the future gets the centre's Reply."""
        future: Future = Future()
        self.outbox.put(message)
        with self._lock:
            self._futures[message.id] = future
            self.idle.clear()
            self._delay = self._min_delay  # a new message is worth a prompt attempt
            self._wake.set()
        return future

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            if self._deliver_all():
                with self._lock:
                    if not self._wake.is_set():  # nothing was submitted while we were sending
                        self.idle.set()
                self._wake.wait()
            else:
                self._wake.wait(self._delay)
                self._delay = min(self._delay * 2, self.max_delay)

    def _deliver_all(self) -> bool:
        """Send every pending message in order; False as soon as the centre cannot be reached."""
        for message in self.outbox.pending():
            if self._stop.is_set():
                return False
            try:
                reply = self.centre.post(message.path, message.body, idempotency_key=message.id)
            except CentreUnreachable as error:
                logger.warning("outbox: %s still queued (%s)", message.label or message.id, error)
                self._on_unreachable(str(error))
                return False
            if not reply.ok:
                logger.info("outbox: centre refused %s: %s %s", message.label or message.id, reply.code,
                               reply.message)
            self.outbox.remove(message)
            self._delay = self._min_delay
            self._on_reply(message, reply)
            with self._lock:
                future = self._futures.pop(message.id, None)
            if future is not None:
                future.set_result(reply)
        return True
