"""Settings from the environment (EXAM_CENTER_*), with safe defaults for the embedded mode.

Every variable is listed in README.md; keep the two in step.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "EXAM_CENTER_"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(PREFIX + name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{PREFIX}{name} must be a whole number, got {raw!r}") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{PREFIX}{name} must be true or false, got {raw!r}")


def normalise_database_url(url: str) -> str:
    """PostgreSQL always goes through psycopg 3, whatever driver the URL names."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(instance_dir: Path) -> str:
    """A key kept in the instance folder, so sessions survive restarts without a shipped default."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    secret_key: str
    sqlite_busy_timeout_ms: int = 10_000
    max_request_bytes: int = 16 * 1024 * 1024
    api_max_json_bytes: int = 1024 * 1024
    default_locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    secure_cookies: bool = False
    holidays_file: Path | None = None
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    host: str = "127.0.0.1"
    port: int = 5000
    testing: bool = False

    @classmethod
    def from_env(cls) -> "Settings":
        instance_dir = Path(_env("INSTANCE_DIR", str(PROJECT_ROOT / "instance"))).resolve()
        database_url = _env("DATABASE_URL", f"sqlite:///{instance_dir / 'exam_center.sqlite3'}")
        holidays = _env("HOLIDAYS_FILE")
        return cls(
            instance_dir=instance_dir,
            database_url=normalise_database_url(database_url),
            secret_key=_env("SECRET_KEY") or _secret_key(instance_dir),
            sqlite_busy_timeout_ms=_env_int("SQLITE_BUSY_TIMEOUT_MS", 10_000),
            max_request_bytes=_env_int("MAX_REQUEST_BYTES", 16 * 1024 * 1024),
            api_max_json_bytes=_env_int("API_MAX_JSON_BYTES", 1024 * 1024),
            default_locale=_env("DEFAULT_LOCALE", "zh_CN"),
            timezone=_env("TIMEZONE", "Asia/Shanghai"),
            secure_cookies=_env_bool("SECURE_COOKIES", False),
            holidays_file=Path(holidays) if holidays else None,
            login_max_failures=_env_int("LOGIN_MAX_FAILURES", 5),
            login_lock_minutes=_env_int("LOGIN_LOCK_MINUTES", 15),
            host=_env("HOST", "127.0.0.1"),
            port=_env_int("PORT", 5000),
        )
