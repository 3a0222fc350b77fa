"""Linked pseudo-terminal pairs: a null-modem cable between two ports on one machine, with a line bridge
that paces bytes at a baud rate (a pty ignores baud) and injects the faults a real hall produces.

Side ``a`` is where the driver plugs in, side ``b`` the (emulated) device. With ``link_a``/``link_b`` the
sides get stable symlink paths, like ``/dev/serial/by-id/…``, that survive an unplug and replug.
"""
from __future__ import annotations

import os
import select
import threading
import time
import tty
from pathlib import Path


class Direction:
    """One direction of the cable and its faults. Fault positions count bytes that entered this direction,
    so a test arms a fault at ``direction.count + k`` and it hits the same byte however the load is."""

    def __init__(self, name: str):
        self.name = name
        self.count = 0
        self.cut = False  # cable half pulled: every byte in this direction is lost
        self.fragments: tuple[int, float] | None = None  # (bytes, pause): split every frame into pieces
        self._drops: set[int] = set()
        self._flips: dict[int, int] = {}
        self._inserts: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def drop(self, at: int, count: int = 1) -> None:
        with self._lock:
            self._drops.update(range(at, at + count))

    def flip(self, at: int, mask: int = 0x01) -> None:
        with self._lock:
            self._flips[at] = mask

    def insert(self, at: int, garbage: bytes) -> None:
        """Put ``garbage`` on the line just before the byte at position ``at``."""
        with self._lock:
            self._inserts[at] = garbage

    def apply(self, data: bytes) -> bytes:
        out = bytearray()
        with self._lock:
            for byte in data:
                position = self.count
                self.count += 1
                out += self._inserts.pop(position, b"")
                if position in self._drops:
                    self._drops.discard(position)
                    continue
                out.append(byte ^ self._flips.pop(position, 0))
            if self.cut:
                return b""
        return bytes(out)


class _Side:
    def __init__(self, link: str | os.PathLike | None):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no line editing, 8-bit clean before anyone opens the port
        self.device = os.ttyname(self.slave)
        self.link = Path(link) if link else None
        if self.link:
            self.link.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.link.with_name(self.link.name + ".new")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(self.device)
            os.replace(temporary, self.link)  # atomic: a driver reopening the path never sees it missing

    @property
    def path(self) -> str:
        return str(self.link or self.device)

    def close(self) -> None:
        # Closing the master hangs the line up: the peer's reads and writes fail, as on an unplugged cable.
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class LinkedPtys:
    """``baudrate`` paces both directions at line speed (10 bits per byte for 8N1); None passes bytes at once."""

    CHUNK = 16  # bytes delivered together when paced; small enough that a reader sees a frame grow

    def __init__(self, baudrate: int | None = None, link_a=None, link_b=None, bits_per_char: int = 10):
        self.char_time = bits_per_char / baudrate if baudrate else 0.0
        self.a_to_b = Direction("a→b")
        self.b_to_a = Direction("b→a")
        self._link_a = link_a
        self._a = _Side(link_a)
        self._b = _Side(link_b)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start()

    @property
    def a_path(self) -> str:
        return self._a.path

    @property
    def b_path(self) -> str:
        return self._b.path

    def unplug(self) -> None:
        """Pull side a's cable: the driver's port hangs up and its path stops working."""
        self._stop_threads()
        self._a.close()
        if self._a.link:
            self._a.link.unlink(missing_ok=True)

    def replug(self) -> None:
        """Plug side a back in: a new pty behind the same symlink, like a USB adapter re-enumerating."""
        self._a = _Side(self._link_a)
        self._start()

    def close(self) -> None:
        self._stop_threads()
        self._a.close()
        self._b.close()
        for side in (self._a, self._b):
            if side.link:
                side.link.unlink(missing_ok=True)

    def __enter__(self) -> "LinkedPtys":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._pump, args=(self._a.master, self._b.master, self.a_to_b), daemon=True,
                             name=f"pty {self.a_path}→{self.b_path}"),
            threading.Thread(target=self._pump, args=(self._b.master, self._a.master, self.b_to_a), daemon=True,
                             name=f"pty {self.b_path}→{self.a_path}"),
        ]
        for thread in self._threads:
            thread.start()

    def _stop_threads(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5.0)
        self._threads = []

    def _pump(self, source: int, target: int, direction: Direction) -> None:
        line_free_at = 0.0
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([source], [], [], 0.05)
                if not ready:
                    continue
                data = direction.apply(os.read(source, 4096))
            except OSError:  # the side was closed (unplug) while we waited
                return
            line_free_at = max(line_free_at, time.monotonic())
            step, pause = direction.fragments or (self.CHUNK, 0.0)
            for start in range(0, len(data), step):
                chunk = data[start:start + step]
                line_free_at += len(chunk) * self.char_time + pause
                # A byte is delivered no earlier than its last bit would have crossed the wire.
                delay = line_free_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                try:
                    os.write(target, chunk)
                except OSError:
                    return
