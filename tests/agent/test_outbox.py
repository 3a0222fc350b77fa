"""The outbox survives a restart and the courier keeps a message until the centre answered it."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devices.agent.centre import Centre, CentreUnreachable, Reply
from devices.agent.courier import Courier
from devices.agent.outbox import Message, Outbox


def test_messages_survive_a_restart_in_order_and_a_half_written_one_is_dropped(tmp_path):
    first, second = Message.new("/a", {"n": 1}, "first"), Message.new("/b", {"n": 2}, "second", {"seat_id": 3})
    outbox = Outbox(tmp_path)
    outbox.put(first)
    outbox.put(second)
    (tmp_path / "crashed.tmp").write_text("{")
    reopened = Outbox(tmp_path)
    assert reopened.pending() == [first, second]
    assert not list(tmp_path.glob("*.tmp"))
    reopened.remove(first)
    assert Outbox(tmp_path).pending() == [second]


class FlakyCentre(Centre):
    """Unreachable for the first ``failures`` calls, then answers ``status``."""

    def __init__(self, failures: int, status: int):
        super().__init__("http://centre.invalid", "token", timeout=1.0)
        self.failures, self.status, self.calls = failures, status, []

    def post(self, path, body, *, idempotency_key=None):
        self.calls.append(idempotency_key)
        if len(self.calls) <= self.failures:
            raise CentreUnreachable("connection refused")
        return Reply(self.status, {"code": "x.refused"} if self.status >= 400 else {"ok": True})


@pytest.mark.parametrize("status", [200, 409])
def test_courier_retries_until_answered_and_then_forgets_the_message(tmp_path, status):
    centre, replies = FlakyCentre(failures=3, status=status), []
    courier = Courier(Outbox(tmp_path), centre, on_reply=lambda m, r: replies.append(r.status),
                      backoff=(0.01, 0.05)).start()
    try:
        message = Message.new("/x", {})
        assert courier.submit(message).result(30).status == status
        assert courier.idle.wait(30)
    finally:
        courier.stop()
    assert centre.calls == [message.id] * 4  # the same id every time: a centre can dedupe on it
    assert replies == [status] and len(Outbox(tmp_path)) == 0


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self):
        status = int(self.path.rsplit("/", 1)[-1])
        body = json.dumps({"code": f"test.{status}", "message": "说明"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_which_answers_are_final():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        centre = Centre(f"http://127.0.0.1:{server.server_port}", "token", timeout=10)
        assert centre.post("/200", {}).ok
        refused = centre.post("/409", {})
        assert (refused.status, refused.code, refused.message) == (409, "test.409", "说明")
        for status in (401, 429, 500, 503):
            with pytest.raises(CentreUnreachable, match=str(status)):
                centre.post(f"/{status}", {})
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(CentreUnreachable, match="unreachable"):
        Centre(f"http://127.0.0.1:{server.server_port}", "token", timeout=2).post("/200", {})
