"""Settings from the environment (EXAM_CENTER_*), with safe defaults for the embedded mode.

Every variable is listed in README.md; keep the two in step.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
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


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{PREFIX}{name} must be a number, got {raw!r}") from None


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
class FaceSettings:
    """Face recognition (人脸识别) settings. The defaults are stricter than face_recognition's 0.6 because the
    dlib model is weaker on East Asian faces; each centre calibrates its own (``exam-center face calibrate``)."""

    accept_threshold: float = 0.42      # distance ≤ this: accept
    review_threshold: float = 0.55      # ≤ this: a proctor decides; above: reject
    identify_margin: float = 0.08       # 1:N: the best match must beat the second best by this much
    check_frames: int = 5               # frames a check-in agent sends per attempt
    min_frames: int = 3                 # usable frames needed for a decision
    checkin_retries: int = 3            # automatic rejects before the proctor must decide
    min_face_width: int = 80            # pixels
    min_sharpness: float = 40.0         # variance of the Laplacian of the face at 128×128
    min_brightness: float = 50.0        # mean grey level of the face, 0–255
    max_brightness: float = 215.0
    max_yaw: float = 0.35               # left/right asymmetry of the nose between the eyes, 0 = frontal
    model_dir: Path | None = None       # dlib model files; default: the face_recognition_models package
    watch_seconds: int = 20             # in-exam monitoring: a terminal snapshot every so many seconds (0: off)
    watch_no_face_seconds: float = 30.0   # nobody at the terminal this long: an alert
    watch_confirm_frames: int = 2       # snapshots in a row showing another person before an alert
    liveness: str = "off"               # check-in liveness challenge: off | blink | turn | any

    @classmethod
    def from_env(cls) -> "FaceSettings":
        model_dir = _env("FACE_MODEL_DIR")
        settings = cls(
            accept_threshold=_env_float("FACE_ACCEPT_THRESHOLD", cls.accept_threshold),
            review_threshold=_env_float("FACE_REVIEW_THRESHOLD", cls.review_threshold),
            identify_margin=_env_float("FACE_IDENTIFY_MARGIN", cls.identify_margin),
            check_frames=_env_int("FACE_CHECK_FRAMES", cls.check_frames),
            min_frames=_env_int("FACE_MIN_FRAMES", cls.min_frames),
            checkin_retries=_env_int("FACE_CHECKIN_RETRIES", cls.checkin_retries),
            min_face_width=_env_int("FACE_MIN_WIDTH", cls.min_face_width),
            min_sharpness=_env_float("FACE_MIN_SHARPNESS", cls.min_sharpness),
            min_brightness=_env_float("FACE_MIN_BRIGHTNESS", cls.min_brightness),
            max_brightness=_env_float("FACE_MAX_BRIGHTNESS", cls.max_brightness),
            max_yaw=_env_float("FACE_MAX_YAW", cls.max_yaw),
            model_dir=Path(model_dir) if model_dir else None,
            watch_seconds=_env_int("FACE_WATCH_SECONDS", cls.watch_seconds),
            watch_no_face_seconds=_env_float("FACE_WATCH_NO_FACE_SECONDS", cls.watch_no_face_seconds),
            watch_confirm_frames=_env_int("FACE_WATCH_CONFIRM_FRAMES", cls.watch_confirm_frames),
            liveness=(_env("FACE_LIVENESS") or cls.liveness).strip().lower(),
        )
        if settings.liveness not in ("off", "blink", "turn", "any"):
            raise SystemExit(f"{PREFIX}FACE_LIVENESS must be off, blink, turn or any, got {settings.liveness!r}")
        if not 0 < settings.accept_threshold <= settings.review_threshold:
            raise SystemExit(f"{PREFIX}FACE_ACCEPT_THRESHOLD must be above 0 and at most "
                             f"{PREFIX}FACE_REVIEW_THRESHOLD")
        if settings.watch_seconds < 0 or settings.watch_confirm_frames < 1:
            raise SystemExit(f"{PREFIX}FACE_WATCH_SECONDS must be 0 (off) or more and "
                             f"{PREFIX}FACE_WATCH_CONFIRM_FRAMES at least 1")
        if not 1 <= settings.min_frames <= settings.check_frames:
            raise SystemExit(f"{PREFIX}FACE_MIN_FRAMES must be between 1 and {PREFIX}FACE_CHECK_FRAMES")
        return settings


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
    face: FaceSettings = field(default_factory=FaceSettings)

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
            face=FaceSettings.from_env(),
        )

