"""Fixtures for real-browser tests (import them into the test module): a real server process
(`exam-center run`) on a fresh demo database, driven by Debian's Chromium through Playwright. They run
in the SQLite pass; the PostgreSQL pass covers the same code paths through the integration tests."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, SHARED

CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    instance_dir: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXAM_CENTER_")}
        env.update(EXAM_CENTER_INSTANCE_DIR=str(self.instance_dir), EXAM_CENTER_PORT=str(self.port))
        return env

    def cli(self, *args: str) -> str:
        result = subprocess.run([str(PROJECT_ROOT / ".venv/bin/exam-center"), *args], env=self.env, cwd=PROJECT_ROOT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    @property
    def log_path(self) -> Path:
        return self.instance_dir / "server.log"

    def log_tail(self, lines: int = 40) -> str:
        """The end of what the server processes printed (for failure messages)."""
        if not self.log_path.exists():
            return "(no server log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([str(PROJECT_ROOT / ".venv/bin/exam-center"), "run"], env=self.env,
                                            cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2) as response:
                    if json.load(response)["status"] == "ok":
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        """kill -9: no shutdown handler runs, as in a power cut of the server process."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def execute(self, sql: str, params: tuple = ()) -> None:
        """A change made behind the server's back (as an operator with database access would)."""
        connection = sqlite3.connect(self.instance_dir / "exam_center.sqlite3", timeout=10)
        try:
            with connection:
                connection.execute(sql, params)
        finally:
            connection.close()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        connection = sqlite3.connect(self.instance_dir / "exam_center.sqlite3", timeout=10)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, db_engine_name):
    if db_engine_name != "sqlite":
        pytest.skip("the browser tests run in the SQLite pass")
    server = LiveServer(tmp_path_factory.mktemp("live") / "instance", free_port())
    server.cli("db", "upgrade")
    server.cli("seed-demo", "--shared-dir", str(SHARED))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(live_server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()
