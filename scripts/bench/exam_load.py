"""Load benchmark: N candidates start their exam at the same moment, then save answers with think time.

A real server (gunicorn, several workers) on a fresh SQLite or PostgreSQL database, driven as
static/terminal.js drives it:

1. start storm: a lean asyncio client (stdlib only, one connection per candidate) signs every candidate in
   (form with its CSRF token, then the state), waits until all are signed in, then sends every start at once;
2. sustained phase: wrk (C, Debian's package) with exam_saves.lua, one connection per candidate, each save
   after a think time of 0.5–1.5 × --think-ms: --warmup-seconds not counted (the end of the start storm, and each
   worker verifying each candidate's cookie and token signatures once), then --sustained-seconds measured;
3. saturation phase: the same without think time, for --burst-seconds.

wrk keeps the load generator's share of the two CPUs small (the Python client cost ~0.7 ms of CPU per request,
a third of what the server spends on a save). Every save is matched to its acknowledgement by the reply's
``acknowledged`` field; the applied ones are checked against the database after the server has stopped.
The baseline app (one INSERT per request and nothing else) is served the same way and hit by the same wrk
phases.

    .venv/bin/python scripts/bench/exam_load.py --engine sqlite|postgres --candidates 200 \
        [--think-ms 200] [--warmup-seconds 15] [--sustained-seconds 20] [--burst-seconds 10] [--workers 4] \
        [--threads 1] [--direct]

saves_per_s and save_p99_ms in the RESULT line are the sustained phase's; baseline_ratio is the saturation
phase's save rate over the baseline's, measured the same way in the same run.

Not part of the test suite. See docs/performance.md. Last line:
RESULT engine=… candidates=… start_p99_ms=… saves_per_s=… save_p99_ms=… errors=… lost=… baseline_ratio=… \
       paced_ratio=… start_p50_ms=… save_p50_ms=…
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
POSTGRES_ADMIN = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
VENV_BIN = Path(sys.executable).parent


# --- the baseline app (imported by gunicorn as exam_load:baseline_app()) ----------------------------

def baseline_app():
    """One route, one INSERT, one commit: the ceiling of Flask + gunicorn + the database on this machine."""
    import sqlalchemy as sa
    from flask import Flask, jsonify, request

    from exam_center import serving
    from exam_center.db import make_engine

    engine = make_engine(os.environ["BENCH_DATABASE_URL"])
    table = sa.table("bench_inserts", sa.column("attempt"), sa.column("position"), sa.column("seq"),
                     sa.column("payload"))
    app = Flask("baseline")

    @app.post("/insert")
    def insert():
        body = request.get_json(silent=True) or {}
        with engine.begin() as conn:
            conn.execute(table.insert().values(attempt=int(body.get("attempt", 0)),
                                               position=int(body.get("position", 0)),
                                               seq=int(body.get("seq", 0)),
                                               payload=json.dumps(body.get("chosen", []))))
        return jsonify(ok=True)

    @app.get("/health")
    def health():
        return jsonify(ok=True)

    return serving(app)  # as exam_center.wsgi does for the real app


# --- database fixture ---------------------------------------------------------------------------

@dataclass
class Candidate:
    ticket: str
    id_tail: str
    attempt_id: int | None = None
    questions: list[dict] = field(default_factory=list)    # the paper's questions as shown, from the fixture
    shown_tail: bytes = b""   # how the start's reply must end: exactly the paper's questions as stored
    csrf: str = ""            # once signed in: the CSRF token and the session cookie, for wrk
    cookie: str = ""
    acked: dict[int, tuple[int, list[int]]] = field(default_factory=dict)  # position -> (seq, chosen)


def fresh_database(engine_name: str, tmp: Path) -> tuple[str, str | None]:
    """(url, postgres database name to drop at the end)."""
    if engine_name == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite'}", None
    import sqlalchemy as sa
    name = f"exam_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def drop_postgres(name: str) -> None:
    import sqlalchemy as sa
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                     {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def prepare(url: str, tmp: Path, n: int) -> list[Candidate]:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from exam_center import migrate
    from exam_center.db import make_engine
    from exam_center.domain.idcard import make_id_number
    from exam_center.evidence import EvidenceStore
    from exam_center.models import (
        ApplicationKind,
        ApplicationStatus,
        ExamApplication,
        ExamPart,
        ExamSession,
        RoomKind,
        SessionCandidate,
        StaffUser,
        utcnow,
    )
    from exam_center.models.sessions import SessionStatus
    from exam_center.services import attempts
    from exam_center.services.catalogue import sync_catalogue
    from exam_center.services.demo import ACTOR, seed_demo
    from exam_center.services.papers import draw_papers
    from exam_center.services.people import register_person
    from exam_center.services.rooms import add_places, create_room

    migrate.upgrade(url)
    engine = make_engine(url)
    today = dt.date.today()
    with Session(engine) as s:
        sync_catalogue(s, ACTOR)
        seed_demo(s, EvidenceStore(tmp / "evidence"), faces_dir=tmp / "no-faces", today=today)
        s.commit()
        centre_id = s.scalar(sa.select(StaffUser.organisation_id).where(StaffUser.username == "examadmin"))
        demo = s.scalar(sa.select(ExamSession).where(ExamSession.operation_item_code == "1.2"))
        demo_application = s.scalar(sa.select(ExamApplication).where(ExamApplication.operation_item_code == "1.2"))
        room = create_room(s, ACTOR, centre_id=centre_id, name="压测理论考场", kind=RoomKind.THEORY)
        add_places(s, ACTOR, room, [(f"B{k:04d}", None) for k in range(1, n + 1)])
        s.flush()
        seats = [seat.id for seat in sorted(room.seats, key=lambda seat: seat.label)]
        papers = draw_papers(s, ACTOR, demo.blueprint_id, seeds=list(range(1, n + 1)))
        now = utcnow()
        exam = ExamSession(centre_id=centre_id, room_id=room.id, part=ExamPart.THEORY, operation_item_code="1.2",
                           blueprint_id=demo.blueprint_id, starts_at=now, duration_minutes=demo.duration_minutes,
                           capacity=n, status=SessionStatus.CLOSED, closed_at=now)
        s.add(exam)
        s.flush()
        out, rows = [], []
        for k in range(n):
            id_number = make_id_number("370203", dt.date(1975, 1, 1) + dt.timedelta(days=k), 900 + k % 90)
            person = register_person(s, ACTOR, id_number=id_number, name="压测考生" + "甲乙丙丁戊己庚辛壬癸"[k % 10],
                                     education=demo_application.person.education.value,
                                     phone=f"138{k:08d}", employer=None)
            application = ExamApplication(
                person_id=person.id, operation_item_code="1.2", kind=ApplicationKind.INITIAL, part=ExamPart.THEORY,
                health_declared=True, filed_on=today, exam_deadline=today + dt.timedelta(days=60),
                status=ApplicationStatus.SCHEDULED, gate=[], rule_set=demo_application.rule_set)
            s.add(application)
            s.flush()
            ticket = f"BENCH{k + 1:06d}"
            rows.append(SessionCandidate(session_id=exam.id, application_id=application.id, seat_id=seats[k],
                                         ticket_number=ticket, paper_id=papers[k].id))
            out.append(Candidate(ticket, id_number[-6:], questions=json.loads(papers[k].questions_shown),
                                 shown_tail=b',"questions":' + papers[k].questions_shown.encode() + b"}"))
        s.add_all(rows)
        s.flush()
        for row in rows:
            attempts.check_in(s, ACTOR, row.id)
        s.commit()
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE bench_inserts (id INTEGER PRIMARY KEY "
                                 + ("AUTOINCREMENT" if url.startswith("sqlite") else "GENERATED ALWAYS AS IDENTITY")
                                 + ", attempt INTEGER, position INTEGER, seq BIGINT, payload TEXT)"))
    engine.dispose()
    return out


def lost_saves(url: str, candidates: list[Candidate]) -> tuple[int, int]:
    """(acknowledged saves missing/older/different in the DB, acknowledged (position) entries checked)."""
    import sqlalchemy as sa

    from exam_center.db import make_engine
    engine = make_engine(url)
    stored: dict[tuple[int, int], tuple[int, list[int]]] = {}
    with engine.connect() as conn:
        for attempt_id, position, seq, chosen in conn.execute(
                sa.text("SELECT attempt_id, position, seq, chosen FROM attempt_answers")):
            if isinstance(chosen, str):
                chosen = json.loads(chosen)
            stored[(attempt_id, position)] = (seq, list(chosen))
    engine.dispose()
    lost = checked = 0
    for c in candidates:
        for position, (seq, chosen) in c.acked.items():
            checked += 1
            got = stored.get((c.attempt_id, position))
            if got is None or got[0] < seq or (got[0] == seq and got[1] != sorted(set(chosen))):
                lost += 1
    return lost, checked


# --- servers ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(app_spec: str, env: dict, workers: int, threads: int, log: Path, health: str,
                 chdir: Path, unix_socket: Path | None = None) -> tuple[subprocess.Popen, int]:
    """gunicorn on a TCP port (the health check; --direct clients) and, for nginx, also on ``unix_socket``."""
    port = free_port()
    cmd = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--backlog", "4096",
           "--timeout", "120", "--chdir", str(chdir)]
    if unix_socket is not None:
        cmd += ["-b", f"unix:{unix_socket}"]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    cmd.append(app_spec)
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {log}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2) as response:
                if response.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"gunicorn did not answer {health} within 60 s; see {log}")


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


# --- the lean HTTP/1.1 client -------------------------------------------------------------------

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def start_front(upstream: Path, tmp: Path, name: str) -> tuple[subprocess.Popen, int]:
    """nginx in front of gunicorn, as gunicorn's sync workers must be deployed: it holds the clients' keep-alive
    connections (idle between a candidate's saves) and hands gunicorn one whole request at a time, over a Unix
    socket. Without it a sync worker that accepts a connection waits on it until the request comes, think time
    included."""
    front, home = free_port(), tmp / f"nginx-{name}"
    home.mkdir()
    (home / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
user root;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {home}/body; proxy_temp_path {home}/proxy; fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi; scgi_temp_path {home}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{front} backlog=4096;
        location / {{
            proxy_pass http://unix:{upstream}:;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 120s;
        }}
    }}
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(home), "-c", str(home / "nginx.conf")], stdout=subprocess.DEVNULL,
                            stderr=(home / "stderr.log").open("wb"), start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited ({proc.returncode}): {(home / 'stderr.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", front), timeout=1):
                return proc, front
        except OSError:
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError("nginx did not listen within 20 s")


class Http:
    """One keep-alive connection with a cookie jar; reconnects when the server closes (sync workers do)."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port, self.timeout = port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None
                      ) -> tuple[int, dict[str, str], bytes]:
        return await asyncio.wait_for(self._request(method, path, body, headers or {}), self.timeout)

    async def _request(self, method, path, body, headers):
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                await self._connect()
            lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: keep-alive",
                     f"Content-Length: {len(body)}"]
            if self.cookies:
                lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            lines += [f"{k}: {v}" for k, v in headers.items()]
            try:
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if fresh or attempt == 2:  # a kept-alive connection may have been closed under us: retry once
                    raise
        raise AssertionError("unreachable")

    async def _response(self):
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
            headers[name] = value
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data = data[:-2]
        else:
            data = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close" and self.writer is not None:
            self.close()
        return status, headers, data


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    first: float = float("inf")
    last: float = 0.0

    def ok(self, began: float, ended: float) -> None:
        self.latencies.append(ended - began)
        self.first, self.last = min(self.first, began), max(self.last, ended)

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] * 1000  # nearest rank


async def exam_candidate(port: int, c: Candidate, ready: asyncio.Barrier, go: asyncio.Event, start: Stats) -> None:
    """Sign in as the page does (form with its CSRF token, then the state), wait for everyone, then start."""
    http = Http(port)
    try:
        try:
            status, _h, page = await http.request("GET", "/terminal/", headers={"Accept": "text/html"})
            token = VALUE.search(CSRF_INPUT.search(page.decode()).group(0)).group(1)
            form = urllib.parse.urlencode({"csrf_token": token, "ticket_number": c.ticket, "id_tail": c.id_tail})
            status, headers, page = await http.request(
                "POST", "/terminal/", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
            if status != 302 or "/terminal/exam" not in headers.get("location", ""):
                raise RuntimeError(f"sign-in {c.ticket}: {status} {page[:200]!r}")
            status, _h, data = await http.request("GET", "/terminal/api/state", headers={"Accept": "application/json"})
            state = json.loads(data)
            if status != 200 or state.get("status") != "checked_in":
                raise RuntimeError(f"state {c.ticket}: {status} {data[:200]!r}")
            c.attempt_id, c.csrf = state["attempt_id"], state["csrf_token"]
        finally:
            await ready.wait()  # everyone (even a failed sign-in) reaches the barrier, or the rest would hang
        await go.wait()
        began = time.perf_counter()
        status, _h, data = await http.request("POST", "/terminal/api/start", b"{}",
                                              {**JSON_HEADERS, "X-CSRFToken": c.csrf})
        ended = time.perf_counter()
        # Checked without decoding 35 KB of JSON on the client's share of the CPUs (a real terminal has its own).
        if status != 200 or b'"status": "in_progress"' not in data[:400] or not data.endswith(c.shown_tail):
            start.fail(f"start {status}: {data[:200]!r}")
            return
        start.ok(began, ended)
        c.cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    except Exception as error:  # noqa: BLE001 - a broken candidate is an error, the run goes on
        start.fail(f"candidate {c.ticket}: {error!r}")
    finally:
        http.close()


async def start_storm(port: int, candidates: list[Candidate]) -> tuple[Stats, float]:
    """(the starts, seconds the sign-in of everyone took)."""
    ready, go, start = asyncio.Barrier(len(candidates) + 1), asyncio.Event(), Stats()
    tasks = [asyncio.create_task(exam_candidate(port, c, ready, go, start)) for c in candidates]
    t0 = time.perf_counter()
    await ready.wait()
    signed_in = time.perf_counter() - t0
    go.set()
    await asyncio.gather(*tasks)
    return start, signed_in


# --- throughput phases: wrk -------------------------------------------------------------------------

WRK = shutil.which("wrk")
WRK_SCRIPT = Path(__file__).resolve().with_name("exam_saves.lua")
WRK_LINE = re.compile(r"^WRK (.*)$", re.M)


@dataclass
class Phase:
    """One wrk run: its own latency figures (wrk's histogram), rate over its whole duration, errors."""
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    errors: int = 0
    unapplied: int = 0
    detail: str = ""

    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def write_candidates(candidates: list[Candidate], path: Path) -> None:
    """The signed-in candidates for exam_saves.lua, a line each: attempt, cookie, CSRF token, and the paper's
    questions as position:options:multiple (tab-separated; a Lua table literal this size is too big for LuaJIT)."""
    with path.open("w") as out:
        for c in candidates:
            if not c.cookie:
                continue  # never started: not part of the throughput phases
            questions = ",".join(f"{q['position']}:{len(q['options'])}:{int(q['type'] == 'multi')}"
                                 for q in c.questions)
            out.write(f"{c.attempt_id}\t{c.cookie}\t{c.csrf}\t{questions}\n")


def run_wrk(port: int, *, mode: str, connections: int, think_ms: float, seconds: float, threads: int, tmp: Path,
            name: str, seq_base: int = 0) -> Phase:
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_DATA": str(tmp / "candidates.tsv"),
           "BENCH_THINK_MS": str(think_ms), "BENCH_SEQ_BASE": str(seq_base),
           "BENCH_ACKS": str(tmp / f"{name}.acks."), "BENCH_THREADS": str(threads)}
    cmd = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "60s",
           "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 120)
    found = WRK_LINE.search(done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    v = {key: int(value) for key, value in (pair.split("=") for pair in found.group(1).split())}
    errors = v["connect"] + v["read"] + v["write"] + v["status"] + v["timeout"] + v.get("unmatched", 0)
    return Phase(v["requests"], v["duration_us"] / 1e6, v["p50_us"] / 1000, v["p99_us"] / 1000, errors,
                 v.get("unapplied", 0), found.group(1))


def read_acks(tmp: Path, candidates: list[Candidate]) -> None:
    """Every applied save wrk saw acknowledged, newest per question, into each candidate's ``acked``."""
    by_attempt = {c.attempt_id: c for c in candidates}
    for path in sorted(tmp.glob("*.acks.*")):
        for line in path.read_text().splitlines():
            attempt, position, seq, chosen = line.split()
            c, position, seq = by_attempt[int(attempt)], int(position), int(seq)
            if c.acked.get(position, (0, []))[0] < seq:
                c.acked[position] = (seq, [int(i) for i in chosen.split(",")])


# --- main ---------------------------------------------------------------------------------------

def fmt(value: float) -> str:
    return f"{value:.1f}"


def cpu_probe_ms() -> float:
    """A fixed pure-Python loop: the speed of this (virtual, shared) machine right now, to read the run by."""
    began, total = time.perf_counter(), 0
    for i in range(5_000_000):
        total += i
    return (time.perf_counter() - began) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--candidates", type=int, required=True)
    parser.add_argument("--think-ms", type=float, default=200, help="think time of the sustained phase")
    parser.add_argument("--warmup-seconds", type=float, default=15,
                        help="saves at the think-time pace before the sustained phase, reported but not in RESULT")
    parser.add_argument("--sustained-seconds", type=float, default=20)
    parser.add_argument("--burst-seconds", type=float, default=10, help="0: no saturation phase")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (1: sync workers)")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--direct", action="store_true", help="no nginx in front: clients talk to gunicorn")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite file, acks)")
    args = parser.parse_args(argv)
    if WRK is None or (NGINX is None and not args.direct):
        raise SystemExit("wrk or nginx is not installed: run scripts/setup --dev (it installs Debian's packages)")
    n = args.candidates
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * n + 256)), hard))

    probe_before = cpu_probe_ms()
    tmp = Path(tempfile.mkdtemp(prefix="exam_load_"))
    pg_name = None
    servers: list[subprocess.Popen] = []
    try:
        url, pg_name = fresh_database(args.engine, tmp)
        t0 = time.perf_counter()
        candidates = prepare(url, tmp, n)
        print(f"fixture: {n} candidates checked in on {args.engine} in {time.perf_counter() - t0:.1f} s", flush=True)
        env = {"EXAM_CENTER_DATABASE_URL": url, "EXAM_CENTER_INSTANCE_DIR": str(tmp / "instance"),
               "EXAM_CENTER_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex, "BENCH_DATABASE_URL": url}
        wrk = {"connections": n, "threads": args.wrk_threads, "tmp": tmp}
        proc, port = start_server("exam_center.wsgi:app", env, args.workers, args.threads, tmp / "app.log",
                                  "/api/v1/health", ROOT, unix_socket=tmp / "app.sock")
        servers.append(proc)
        if not args.direct:
            proxy, port = start_front(tmp / "app.sock", tmp, "app")
            servers.append(proxy)
        start, signed_in = asyncio.run(start_storm(port, candidates))
        write_candidates(candidates, tmp / "candidates.tsv")
        warmup = (run_wrk(port, mode="save", think_ms=args.think_ms, seconds=args.warmup_seconds, name="warmup",
                          seq_base=0, **wrk) if args.warmup_seconds else Phase())
        sustained = run_wrk(port, mode="save", think_ms=args.think_ms, seconds=args.sustained_seconds,
                            name="sustained", seq_base=10**12, **wrk)
        burst = (run_wrk(port, mode="save", think_ms=0, seconds=args.burst_seconds, name="burst",
                         seq_base=2 * 10**12, **wrk) if args.burst_seconds else Phase())
        for server in servers:
            stop_server(server)
        read_acks(tmp, candidates)
        lost, checked = lost_saves(url, candidates)

        proc, port = start_server("exam_load:baseline_app()", env, args.workers, args.threads,
                                  tmp / "baseline.log", "/health", Path(__file__).resolve().parent,
                                  unix_socket=tmp / "baseline.sock")
        servers.append(proc)
        if not args.direct:
            proxy, port = start_front(tmp / "baseline.sock", tmp, "baseline")
            servers.append(proxy)
        if args.warmup_seconds:
            run_wrk(port, mode="insert", think_ms=args.think_ms, seconds=args.warmup_seconds, name="baseline-warmup",
                    **wrk)
        base_paced = run_wrk(port, mode="insert", think_ms=args.think_ms, seconds=args.sustained_seconds,
                             name="baseline", **wrk)
        base_burst = (run_wrk(port, mode="insert", think_ms=0, seconds=args.burst_seconds, name="baseline-burst",
                              **wrk) if args.burst_seconds else Phase())
        for server in servers:
            stop_server(server)

        errors = start.errors + warmup.errors + sustained.errors + burst.errors
        paced_ratio = sustained.rate() / base_paced.rate() if base_paced.rate() else float("nan")
        burst_ratio = burst.rate() / base_burst.rate() if base_burst.rate() else float("nan")
        offered = n / (args.think_ms / 1000) if args.think_ms else float("inf")
        print(f"engine {args.engine}, {n} candidates, gunicorn {args.workers} workers x {args.threads} threads"
              f"{' (direct)' if args.direct else ' behind nginx'}, {os.cpu_count()} CPUs (client shares them)")
        print(f"machine speed probe (5 M-step Python loop, lower is faster): {probe_before:.0f} ms before the run, "
              f"{cpu_probe_ms():.0f} ms after")
        print(f"sign-in of all candidates (GET form, POST, GET state): {signed_in:.1f} s")
        print(f"start    : {len(start.latencies)} ok, {start.errors} errors, p50 {fmt(start.pct(50))} ms, "
              f"p99 {fmt(start.pct(99))} ms, all started within {fmt((start.last - start.first) * 1000)} ms")
        print(f"warm-up  : {warmup.requests} saves in {fmt(warmup.seconds)} s, {fmt(warmup.rate())}/s, "
              f"p50 {fmt(warmup.p50_ms)} ms, p99 {fmt(warmup.p99_ms)} ms, {warmup.errors} errors (not counted: each "
              "worker meets each candidate's signatures for the first time)")
        print(f"sustained: {sustained.requests} saves in {fmt(sustained.seconds)} s, {fmt(sustained.rate())}/s "
              f"(offered ≈ {fmt(offered)}/s at {args.think_ms:g} ms think time), p50 {fmt(sustained.p50_ms)} ms, "
              f"p99 {fmt(sustained.p99_ms)} ms, {sustained.errors} errors, {sustained.unapplied} not applied")
        print(f"burst    : {burst.requests} saves in {fmt(burst.seconds)} s back to back, {fmt(burst.rate())}/s, "
              f"p50 {fmt(burst.p50_ms)} ms, p99 {fmt(burst.p99_ms)} ms, {burst.errors} errors")
        print(f"baseline INSERT, same pattern: {fmt(base_paced.rate())}/s p99 {fmt(base_paced.p99_ms)} ms "
              f"({base_paced.errors} errors); back to back: {fmt(base_burst.rate())}/s "
              f"p99 {fmt(base_burst.p99_ms)} ms ({base_burst.errors} errors)")
        print(f"ratio at saturation {burst_ratio:.2f}, ratio paced {paced_ratio:.2f}")
        print(f"lost acknowledged answers: {lost} (of {checked} acknowledged question positions checked)")
        for phase in (warmup, sustained, burst, base_paced, base_burst):
            print("  wrk:", phase.detail)
        for sample in start.error_samples[:5]:
            print("  error:", sample)
        print(f"SATURATION engine={args.engine} candidates={n} burst_saves_per_s={fmt(burst.rate())} "
              f"burst_save_p99_ms={fmt(burst.p99_ms)} baseline_req_per_s={fmt(base_burst.rate())} "
              f"burst_ratio={burst_ratio:.2f}")
        print(f"RESULT engine={args.engine} candidates={n} start_p99_ms={fmt(start.pct(99))} "
              f"saves_per_s={fmt(sustained.rate())} save_p99_ms={fmt(sustained.p99_ms)} errors={errors} lost={lost} "
              f"baseline_ratio={burst_ratio:.2f} paced_ratio={paced_ratio:.2f} start_p50_ms={fmt(start.pct(50))} "
              f"save_p50_ms={fmt(sustained.p50_ms)}")
        return 0 if lost == 0 and errors == 0 else 1
    finally:
        for proc in servers:
            stop_server(proc)
        if pg_name:
            try:
                drop_postgres(pg_name)
            except Exception as error:  # noqa: BLE001
                print(f"could not drop database {pg_name}: {error!r}", file=sys.stderr)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
