"""Load benchmark: N candidates start their exam at the same moment, then save answers with think time.

A real server (gunicorn, several workers) on a fresh SQLite or PostgreSQL database; a lean asyncio client
(stdlib only, HTTP/1.1 keep-alive when the server offers it, one connection per simulated candidate) that
drives the terminal exactly as static/terminal.js does. Compared in the same run with a baseline app that
does one INSERT per request and nothing else, served the same way and hit with the same client pattern.

    .venv/bin/python scripts/bench/exam_load.py --engine sqlite|postgres --candidates 200 \
        [--saves-per-candidate 20] [--think-ms 200] [--workers 4] [--threads 1]

saves_per_s and save_p99_ms in the RESULT line are the *sustained* figures: the saves begun after the last
candidate's start was acknowledged and before the first candidate finished its paced saves, i.e. while every
candidate is saving at the think-time pace. The whole paced phase (start storm included) is reported as
paced_saves_per_s and paced_save_p99_ms.

Not part of the test suite. See docs/performance.md. Last line:
RESULT engine=… candidates=… start_p99_ms=… saves_per_s=… save_p99_ms=… errors=… lost=… baseline_ratio=… \
       paced_saves_per_s=… paced_save_p99_ms=…
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
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
                 chdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--backlog", "4096",
           "--timeout", "120", "--chdir", str(chdir)]
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

class Http:
    """One keep-alive connection with a cookie jar; reconnects when the server closes (sync workers do)."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port, self.timeout = port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}
        self.connects = 0

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)
        self.connects += 1

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
    began: list[float] = field(default_factory=list)
    first_done: float = float("inf")  # when the first candidate finished this phase

    def ok(self, began: float, ended: float) -> None:
        self.latencies.append(ended - began)
        self.began.append(began)
        self.first, self.last = min(self.first, began), max(self.last, ended)

    def within(self, since: float, until: float) -> "Stats":
        """The requests that began in [since, until), rated over that window."""
        picked = [latency for began, latency in zip(self.began, self.latencies) if since <= began < until]
        return Stats(picked, first=since, last=until) if until > since else Stats()

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])

    def rate(self) -> float:
        return len(self.latencies) / (self.last - self.first) if self.latencies and self.last > self.first else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] * 1000  # nearest rank


def pick(question: dict, rng: random.Random) -> list[int]:
    count = len(question["options"])
    if question["type"] == "multi":
        return sorted(rng.sample(range(count), rng.randint(1, count)))
    return [rng.randrange(count)]


async def think(rng: random.Random, think_ms: float) -> None:
    if think_ms > 0:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)


async def exam_candidate(port: int, c: Candidate, ready: asyncio.Barrier, go: asyncio.Event, paced_done: asyncio.Barrier,
                         k: int, burst: int, think_ms: float, start: Stats, save: Stats, burst_stats: Stats,
                         seed: int) -> None:
    rng = random.Random(seed)
    http = Http(port)
    waited = False
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
            c.attempt_id, csrf = state["attempt_id"], state["csrf_token"]
        finally:
            await ready.wait()  # everyone (even a failed sign-in) reaches the barrier, or the rest would hang
        await go.wait()
        headers = {**JSON_HEADERS, "X-CSRFToken": csrf}
        began = time.perf_counter()
        try:
            status, _h, data = await http.request("POST", "/terminal/api/start", b"{}", headers)
        except Exception as error:  # noqa: BLE001 - counted, not fatal
            start.fail(f"start: {error!r}")
            return
        ended = time.perf_counter()
        # Checked without decoding 35 KB of JSON on the client's share of the CPUs (a real terminal has its own).
        if status != 200 or b'"status": "in_progress"' not in data[:400] or not data.endswith(c.shown_tail):
            start.fail(f"start {status}: {data[:200]!r}")
            return
        start.ok(began, ended)
        seq = 0
        for n in range(k + burst):
            stats = save if n < k else burst_stats
            if n == k:  # the saturation phase starts for everyone together, after the last paced save
                save.first_done = min(save.first_done, time.perf_counter())
                waited = True
                await paced_done.wait()
            if n < k:
                await think(rng, think_ms)
            question = rng.choice(c.questions)
            chosen = pick(question, rng)
            seq += 1
            body = json.dumps({"position": question["position"], "chosen": chosen, "marked": False,
                               "seq": seq}).encode()
            began = time.perf_counter()
            try:
                status, _h, data = await http.request("POST", "/terminal/api/save", body, headers)
            except Exception as error:  # noqa: BLE001
                stats.fail(f"save: {error!r}")
                continue
            ended = time.perf_counter()
            if status != 200:
                stats.fail(f"save {status}: {data[:200]!r}")
                continue
            ack = json.loads(data)
            if ack.get("applied"):
                c.acked[question["position"]] = (seq, chosen)
            stats.ok(began, ended)
    except Exception as error:  # noqa: BLE001 - a broken candidate is an error, the run goes on
        start.fail(f"candidate {c.ticket}: {error!r}")
    finally:
        http.close()
        if not waited:
            await paced_done.wait()


async def run_exam(port: int, candidates: list[Candidate], k: int, burst: int, think_ms: float
                   ) -> tuple[Stats, Stats, Stats, float]:
    ready, go = asyncio.Barrier(len(candidates) + 1), asyncio.Event()
    paced_done = asyncio.Barrier(len(candidates))
    start, save, burst_stats = Stats(), Stats(), Stats()
    tasks = [asyncio.create_task(exam_candidate(port, c, ready, go, paced_done, k, burst, think_ms, start, save,
                                                burst_stats, seed=i))
             for i, c in enumerate(candidates)]
    t0 = time.perf_counter()
    await ready.wait()
    signed_in = time.perf_counter() - t0
    go.set()
    await asyncio.gather(*tasks)
    return start, save, burst_stats, signed_in


async def baseline_client(port: int, n: int, k: int, think_ms: float) -> Stats:
    stats = Stats()

    async def one(i: int) -> None:
        rng = random.Random(10_000 + i)
        http = Http(port)
        try:
            for seq in range(1, k + 1):
                await think(rng, think_ms)
                body = json.dumps({"attempt": i, "position": rng.randint(1, 100), "chosen": [rng.randrange(4)],
                                   "seq": seq}).encode()
                began = time.perf_counter()
                try:
                    status, _h, data = await http.request("POST", "/insert", body, JSON_HEADERS)
                except Exception as error:  # noqa: BLE001
                    stats.fail(repr(error))
                    continue
                if status == 200:
                    stats.ok(began, time.perf_counter())
                else:
                    stats.fail(f"{status} {data[:200]!r}")
        finally:
            http.close()

    await asyncio.gather(*(one(i) for i in range(n)))
    return stats


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
    parser.add_argument("--saves-per-candidate", type=int, default=20)
    parser.add_argument("--burst-saves", type=int, default=None,
                        help="saves per candidate without think time after the paced phase (default: as many)")
    parser.add_argument("--think-ms", type=float, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (1: sync workers)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite file)")
    args = parser.parse_args(argv)
    n, k = args.candidates, args.saves_per_candidate
    burst = k if args.burst_saves is None else args.burst_saves
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
        proc, port = start_server("exam_center.wsgi:app", env, args.workers, args.threads, tmp / "app.log",
                                  "/api/v1/health", ROOT)
        servers.append(proc)
        start, save, burst_stats, signed_in = asyncio.run(run_exam(port, candidates, k, burst, args.think_ms))
        stop_server(proc)
        lost, checked = lost_saves(url, candidates)

        proc, port = start_server("exam_load:baseline_app()", env, args.workers, args.threads,
                                  tmp / "baseline.log", "/health", Path(__file__).resolve().parent)
        servers.append(proc)
        base_paced = asyncio.run(baseline_client(port, n, k, args.think_ms))
        base_burst = asyncio.run(baseline_client(port, n, burst, 0)) if burst else Stats()
        stop_server(proc)

        errors = start.errors + save.errors + burst_stats.errors
        ratio = save.rate() / base_paced.rate() if base_paced.rate() else float("nan")
        burst_ratio = burst_stats.rate() / base_burst.rate() if base_burst.rate() else float("nan")
        offered = n / (args.think_ms / 1000) if args.think_ms else float("inf")
        # Sustained: once every candidate has started and while every one is still in the paced phase.
        steady = save.within(start.last, min(save.first_done, save.last))
        print(f"engine {args.engine}, {n} candidates, gunicorn {args.workers} workers x {args.threads} threads, "
              f"{os.cpu_count()} CPUs (client shares them)")
        print(f"machine speed probe (5 M-step Python loop, lower is faster): {probe_before:.0f} ms before the run, "
              f"{cpu_probe_ms():.0f} ms after")
        print(f"sign-in of all candidates (GET form, POST, GET state): {signed_in:.1f} s")
        print(f"start  : {len(start.latencies)} ok, {start.errors} errors, p50 {fmt(start.pct(50))} ms, "
              f"p99 {fmt(start.pct(99))} ms, all started within {fmt((start.last - start.first) * 1000)} ms")
        print(f"saves  : {len(save.latencies)} ok, {save.errors} errors, {fmt(save.rate())}/s "
              f"(offered ≈ {fmt(offered)}/s at {args.think_ms:g} ms think time), p50 {fmt(save.pct(50))} ms, "
              f"p99 {fmt(save.pct(99))} ms")
        print(f"steady : {len(steady.latencies)} saves from the last start to the first candidate's last paced save "
              f"({fmt(steady.last - steady.first)} s, every candidate saving): {fmt(steady.rate())}/s, "
              f"p50 {fmt(steady.pct(50))} ms, p99 {fmt(steady.pct(99))} ms")
        print(f"burst  : {len(burst_stats.latencies)} ok, {burst_stats.errors} errors, {fmt(burst_stats.rate())}/s "
              f"(no think time), p50 {fmt(burst_stats.pct(50))} ms, p99 {fmt(burst_stats.pct(99))} ms")
        print(f"baseline INSERT, same pattern: {fmt(base_paced.rate())}/s p99 {fmt(base_paced.pct(99))} ms "
              f"({base_paced.errors} errors); no think time: {fmt(base_burst.rate())}/s "
              f"p99 {fmt(base_burst.pct(99))} ms ({base_burst.errors} errors)")
        print(f"ratio paced {ratio:.2f}, ratio at saturation {burst_ratio:.2f}")
        print(f"lost acknowledged answers: {lost} (of {checked} acknowledged question positions checked)")
        for sample in (start.error_samples + save.error_samples + burst_stats.error_samples)[:5]:
            print("  error:", sample)
        print(f"SATURATION engine={args.engine} candidates={n} burst_saves_per_s={fmt(burst_stats.rate())} "
              f"burst_save_p99_ms={fmt(burst_stats.pct(99))} baseline_req_per_s={fmt(base_burst.rate())} "
              f"burst_ratio={burst_ratio:.2f}")
        print(f"RESULT engine={args.engine} candidates={n} start_p99_ms={fmt(start.pct(99))} "
              f"saves_per_s={fmt(steady.rate())} save_p99_ms={fmt(steady.pct(99))} errors={errors} lost={lost} "
              f"baseline_ratio={ratio:.2f} paced_saves_per_s={fmt(save.rate())} paced_save_p99_ms={fmt(save.pct(99))}")
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
