"""The centre's JSON API as the agent sees it: stdlib HTTP, a device token, and three kinds of answer.

A 2xx is an answer, a final 4xx is a refusal (the request was understood and the centre said no), and
everything else — refused connection, timeout, a 5xx, a 401/408/429 — means "try again later": the agent
cannot tell whether the centre heard it, so the caller decides whether a resend is safe.
"""
from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field

# Not final: the token may be fixed by the operator (401), or the centre was too busy to answer (408, 429).
RETRYABLE_4XX = {401, 408, 429}


class CentreUnreachable(Exception):
    """No usable answer: the request may or may not have been applied."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str:
        """The centre's stable error code (e.g. ``checkin.already``), empty for a success."""
        return "" if self.ok else str(self.body.get("code", f"http.{self.status}"))

    @property
    def message(self) -> str:
        return str(self.body.get("message", ""))


class Centre:
    """``base_url`` like ``http://127.0.0.1:5000``; every call carries ``Authorization: Bearer <token>``."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def post(self, path: str, body: dict, *, idempotency_key: str | None = None) -> Reply:
        """POST JSON to ``/api/v1`` + ``path``; a Reply for 2xx and final 4xx, CentreUnreachable otherwise."""
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "Authorization": f"Bearer {self._token}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(f"{self.base_url}/api/v1{path}", data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Reply(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, _json(error.read()))
            if error.code >= 500 or error.code in RETRYABLE_4XX:
                raise CentreUnreachable(f"centre answered {error.code} {reply.code}".strip()) from None
            return reply
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CentreUnreachable(f"centre {self.base_url} unreachable: {reason}") from None


def _json(data: bytes) -> dict:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
