"""The evidence store: photos, snapshots and documents on disk, addressed by their SHA-256.

Content addressing makes writes idempotent and lets an auditor check that a file is unchanged.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, *, kind: str, suffix: str) -> tuple[str, str]:
        """Store bytes durably; return (relative path, sha256)."""
        digest = hashlib.sha256(data).hexdigest()
        relative = f"{kind}/{digest[:2]}/{digest}{suffix}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return relative, digest

    def path(self, relative: str) -> Path:
        resolved = (self.root / relative).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError(f"evidence path escapes the store: {relative!r}")
        return resolved

    def read(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()
