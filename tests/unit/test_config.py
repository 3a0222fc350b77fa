"""Settings come from EXAM_CENTER_* variables, with safe defaults and clear refusals."""
from __future__ import annotations

import stat

import pytest

from exam_center.config import Settings, normalise_database_url


def _clear(monkeypatch):
    import os
    for key in list(os.environ):
        if key.startswith("EXAM_CENTER_"):
            monkeypatch.delenv(key)


def test_embedded_defaults(monkeypatch, tmp_path):
    _clear(monkeypatch)
    monkeypatch.setenv("EXAM_CENTER_INSTANCE_DIR", str(tmp_path / "inst"))
    settings = Settings.from_env()
    assert settings.database_url == f"sqlite:///{tmp_path / 'inst' / 'exam_center.sqlite3'}"
    assert (settings.host, settings.port, settings.default_locale) == ("127.0.0.1", 5000, "zh_CN")
    key_file = tmp_path / "inst" / "secret_key"
    assert key_file.read_text() == settings.secret_key and len(settings.secret_key) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings.from_env().secret_key == settings.secret_key  # kept across restarts


def test_values_from_environment(monkeypatch, tmp_path):
    _clear(monkeypatch)
    monkeypatch.setenv("EXAM_CENTER_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("EXAM_CENTER_DATABASE_URL", "postgresql://u:p%40ss@db:5432/exam")
    monkeypatch.setenv("EXAM_CENTER_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("EXAM_CENTER_PORT", "8080")
    monkeypatch.setenv("EXAM_CENTER_SECURE_COOKIES", "yes")
    settings = Settings.from_env()
    assert settings.database_url == "postgresql+psycopg://u:p%40ss@db:5432/exam"
    assert settings.secret_key == "k" * 40 and settings.port == 8080 and settings.secure_cookies is True
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("name,value,fragment", [
    ("PORT", "eighty", "whole number"),
    ("SECURE_COOKIES", "maybe", "true or false"),
])
def test_bad_values_are_refused_clearly(monkeypatch, tmp_path, name, value, fragment):
    _clear(monkeypatch)
    monkeypatch.setenv("EXAM_CENTER_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv(f"EXAM_CENTER_{name}", value)
    with pytest.raises(SystemExit, match=fragment):
        Settings.from_env()


@pytest.mark.parametrize("url,expected", [
    ("postgres://a@h/d", "postgresql+psycopg://a@h/d"),
    ("postgresql+psycopg2://a@h/d", "postgresql+psycopg://a@h/d"),
    ("postgresql+psycopg://a@h/d", "postgresql+psycopg://a@h/d"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_postgres_urls_use_psycopg3(url, expected):
    assert normalise_database_url(url) == expected
