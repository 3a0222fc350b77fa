"""The README's first command: install, migrate, seed, serve — and a second start changes nothing."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(instance_dir, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXAM_CENTER_")}
    env.update(EXAM_CENTER_INSTANCE_DIR=str(instance_dir), EXAM_CENTER_PORT=str(port))
    return subprocess.Popen([str(PROJECT_ROOT / "scripts" / "run")], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _wait_healthy(process, port, timeout=240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"scripts/run exited with {process.returncode}:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.5)
    raise AssertionError("scripts/run did not start serving in time")


def _stop(process) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output


def test_run_serves_the_demo_and_is_idempotent(tmp_path, db_engine_name):
    if db_engine_name != "sqlite":
        pytest.skip("scripts/run is the embedded (SQLite) mode; it ran in the SQLite pass")
    outputs = []
    for _ in range(2):
        port = _free_port()
        process = _start(tmp_path / "instance", port)
        try:
            assert _wait_healthy(process, port)["database"] == "ok"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                assert "工作人员登录" in response.read().decode()
        finally:
            outputs.append(_stop(process))
    first, second = outputs
    for role in ("system_admin", "exam_admin", "proctor", "examiner", "cert_officer", "regulator", "institution_staff"):
        assert role in first and role in second
    assert "first run" in first
    assert "0 records created (already present)" in second
    assert (tmp_path / "instance" / "exam_center.sqlite3").exists()
