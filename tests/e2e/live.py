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
from dataclasses import dataclass, field
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
    settings: dict[str, str] = field(default_factory=dict)   # EXAM_CENTER_* for this server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXAM_CENTER_")}
        env.update(EXAM_CENTER_INSTANCE_DIR=str(self.instance_dir), EXAM_CENTER_PORT=str(self.port), **self.settings)
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


def demo_server(tmp_path_factory, db_engine_name: str, **settings: str):
    """A real server process on a fresh demo database (the browser tests run in the SQLite pass only)."""
    if db_engine_name != "sqlite":
        pytest.skip("the browser tests run in the SQLite pass")
    server = LiveServer(tmp_path_factory.mktemp("live") / "instance", free_port(), settings=settings)
    server.cli("db", "upgrade")
    server.cli("seed-demo", "--shared-dir", str(SHARED))
    server.start()
    return server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, db_engine_name):
    """One demo server for every browser test (each test takes its own demo candidate). Face monitoring
    snaps every second, so its test sees alerts in seconds; terminals without a camera send nothing."""
    server = demo_server(tmp_path_factory, db_engine_name, EXAM_CENTER_FACE_WATCH_SECONDS="1",
                         EXAM_CENTER_FACE_WATCH_NO_FACE_SECONDS="1")
    yield server
    server.stop()


def chromium(playwright, *extra_args: str):
    """Debian's Chromium (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", *extra_args])


@pytest.fixture(scope="module")
def browser(live_server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = chromium(playwright)
        yield launched
        launched.close()


# --- the people in the hall, as a browser drives them ------------------------------------------------

WAIT_MS = 15_000


def candidates(server) -> list[tuple[int, str, str, int]]:
    """(candidate id, ticket number, ID number, session id) of the demo's closed session, in seat order."""
    return server.query(
        "SELECT sc.id, sc.ticket_number, p.id_number, sc.session_id FROM session_candidates sc "
        "JOIN exam_applications a ON a.id = sc.application_id JOIN persons p ON p.id = a.person_id ORDER BY sc.id")


class Proctor:
    def __init__(self, browser, server, session_id: int) -> None:
        self.server, self.session_id = server, session_id
        self.page = browser.new_context().new_page()
        self.page.goto(f"{server.url}/login")
        self.page.fill("input[name=username]", "proctor")
        self.page.fill("input[name=password]", "Demo2026exam")
        self.page.click("main button[type=submit]")
        self.page.goto(f"{server.url}/hall/sessions/{session_id}")

    def post(self, candidate_id: int, action: str, **form) -> None:
        token = self.page.locator("input[name=csrf_token]").first.get_attribute("value")
        response = self.page.request.post(
            f"{self.server.url}/hall/sessions/{self.session_id}/candidates/{candidate_id}/{action}",
            form={"csrf_token": token, **form})
        assert response.ok, response.text()


def sign_in(browser, server, ticket: str, id_number: str):
    page = browser.new_context().new_page()
    page.goto(f"{server.url}/terminal/")
    page.fill("input[name=ticket_number]", ticket)
    page.fill("input[name=id_tail]", id_number[-6:])
    page.click("form button[type=submit]")
    page.wait_for_url("**/terminal/exam", timeout=WAIT_MS)
    return page


def start_exam(page):
    page.locator("#start").click(timeout=WAIT_MS)
    page.locator("#exam").wait_for(state="visible", timeout=WAIT_MS)


def answer_current(page, choice: str = "1"):
    page.keyboard.press(choice)
    page.keyboard.press("ArrowRight")
