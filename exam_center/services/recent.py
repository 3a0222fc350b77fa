"""A bounded, thread-safe memory of recently used values that never change once written (frozen papers and
what is derived from them, signatures already verified), kept per server process."""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    """The ``size`` most recently used values by key; ``get`` computes a missing one with ``load``.

    Only for values that cannot change: there is no invalidation; ``put`` replaces a value its owner has
    renewed. ``None`` (nothing found) is not kept, since what is missing now may exist later. Two threads
    missing the same key may both load it; either result is the same value.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = load()
        if value is not None:
            self.put(key, value)
        return value

    def peek(self, key: Hashable) -> V | None:
        """The value remembered for ``key``, if any; nothing is loaded."""
        return self.get(key, lambda: None)

    def put(self, key: Hashable, value: V) -> None:
        """Remember ``value`` for ``key``, replacing what was there."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            if len(self._values) > self.size:
                self._values.popitem(last=False)


_DATABASE_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def database_key(bind) -> Hashable:
    """Which database a session, connection or engine talks to: keys of a ``Recent`` include it, since one
    process may serve several (the tests do). Its URL's text, rendered once per engine: a URL object renders
    itself again each time it is hashed, and that was a noticeable part of a save."""
    engine = getattr(bind, "engine", None) or bind.get_bind().engine
    key = _DATABASE_KEYS.get(engine)
    if key is None:
        key = _DATABASE_KEYS[engine] = engine.url.render_as_string(hide_password=False)
    return key


__all__ = ["Recent", "database_key"]
