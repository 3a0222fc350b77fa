"""A durable outbox (发件箱): what the agent must tell the centre is on disk before it is sent.

One JSON file per message, written to a temporary name, fsynced, renamed into place and the folder
fsynced, so a power cut leaves either the whole message or none. A message file is removed only after the
centre acknowledged it. Files are named ``<created ns>-<id>.json`` so a listing is the sending order.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Message:
    """``id`` travels as the Idempotency-Key so a centre can recognise a resend."""

    id: str
    path: str             # API path under /api/v1
    body: dict
    created_at: float     # time.time()
    label: str = ""       # what the operator and the log are told the message is about (no personal data)
    context: dict = field(default_factory=dict)  # what the agent needs to show the answer; never sent

    @classmethod
    def new(cls, path: str, body: dict, label: str = "", context: dict | None = None) -> "Message":
        return cls(uuid.uuid4().hex, path, body, time.time(), label, context or {})


class Outbox:
    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        for leftover in self.folder.glob("*.tmp"):  # a write cut short by a crash: never renamed, never acknowledged
            leftover.unlink()

    def put(self, message: Message) -> None:
        final = self._file(message)
        temporary = final.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(asdict(message), handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        self._sync_folder()

    def pending(self) -> list[Message]:
        """Messages not yet acknowledged, oldest first."""
        messages = []
        for path in sorted(self.folder.glob("*.json")):
            with open(path, encoding="utf-8") as handle:
                messages.append(Message(**json.load(handle)))
        return messages

    def remove(self, message: Message) -> None:
        self._file(message).unlink(missing_ok=True)
        self._sync_folder()

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*.json"))

    def _file(self, message: Message) -> Path:
        return self.folder / f"{int(message.created_at * 1e9):020d}-{message.id}.json"

    def _sync_folder(self) -> None:
        # The rename or unlink is durable only once the directory entry itself is on disk.
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
