# ruff: noqa: F811  (pytest fixtures imported from live.py are used as parameters)
"""Exam day in a real browser against a real server process: reload, server kill -9, pause, deadline, move.

Each test takes its own demo candidate of the closed demo session; the proctor acts through the hall
console's endpoints with a signed-in browser context (as at the hall PC)."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from live import (WAIT_MS, Proctor, answer_current, browser, candidates, live_server,  # noqa: F401
                  sign_in, start_exam)

pytestmark = pytest.mark.usefixtures("live_server")


def wait_for(condition, timeout: float = 15.0, message: str = "condition", describe=None):
    """Poll ``condition``; on timeout, fail with ``describe()`` (what the page and server show) if given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}" + (f"\n{describe()}" if describe else ""))


def terminal_report(page, server) -> str:
    """What the terminal page shows and holds (status line, queue, message), and the server's log tail."""
    shown = page.evaluate("""() => ({
        conn: (document.getElementById("conn") || {}).className,
        connText: (document.getElementById("conn-text") || {}).textContent,
        queueText: (document.getElementById("queue-text") || {}).textContent,
        intro: (document.getElementById("intro-msg") || {}).textContent,
        stored: Object.keys(localStorage).map(k => k + "=" + localStorage.getItem(k)),
        url: location.href })""")
    return f"page: {shown}\nserver log:\n{server.log_tail()}"


def answers_saved(server, candidate_id: int) -> int:
    rows = server.query("SELECT count(*) FROM attempt_answers aa JOIN attempts a ON a.id = aa.attempt_id "
                        "WHERE a.candidate_id = ?", (candidate_id,))
    return rows[0][0]


def attempt_status(server, candidate_id: int) -> str | None:
    rows = server.query("SELECT status FROM attempts WHERE candidate_id = ?", (candidate_id,))
    return rows[0][0] if rows else None


@pytest.fixture
def candidate(request, live_server):
    """A fresh demo candidate per test (the demo session has six; the first is the face-monitoring test's)."""
    index = request.node.get_closest_marker("candidate").args[0]
    return candidates(live_server)[index]


@pytest.mark.candidate(1)
def test_answers_survive_a_reload(browser, live_server, candidate):
    candidate_id, ticket, id_number, session_id = candidate
    Proctor(browser, live_server, session_id).post(candidate_id, "check-in")
    page = sign_in(browser, live_server, ticket, id_number)
    start_exam(page)
    for choice in ("1", "2", "1"):
        answer_current(page, choice)
    wait_for(lambda: answers_saved(live_server, candidate_id) == 3, message="three acknowledged answers")
    page.reload()
    page.locator("#exam").wait_for(state="visible", timeout=WAIT_MS)
    wait_for(lambda: page.locator("#count-answered").inner_text() == "3", message="the grid after the reload")


@pytest.mark.candidate(2)
def test_nothing_acknowledged_is_lost_when_the_server_is_killed(browser, live_server, candidate):
    candidate_id, ticket, id_number, session_id = candidate
    Proctor(browser, live_server, session_id).post(candidate_id, "check-in")
    page = sign_in(browser, live_server, ticket, id_number)
    start_exam(page)
    answer_current(page, "1")
    answer_current(page, "2")
    wait_for(lambda: answers_saved(live_server, candidate_id) == 2, message="two acknowledged answers")
    live_server.kill()
    answer_current(page, "1")          # answered while the server is down: queued in the page
    time.sleep(1)
    live_server.start()
    wait_for(lambda: answers_saved(live_server, candidate_id) == 3, timeout=30, message="the queued answer replayed",
             describe=lambda: terminal_report(page, live_server))
    page.reload()
    page.locator("#exam").wait_for(state="visible", timeout=WAIT_MS)
    wait_for(lambda: page.locator("#count-answered").inner_text() == "3", message="all three answers after restart")


@pytest.mark.candidate(3)
def test_the_proctor_pauses_and_the_terminal_shows_it(browser, live_server, candidate):
    candidate_id, ticket, id_number, session_id = candidate
    proctor = Proctor(browser, live_server, session_id)
    proctor.post(candidate_id, "check-in")
    page = sign_in(browser, live_server, ticket, id_number)
    start_exam(page)
    proctor.post(candidate_id, "pause", reason="考场停电")
    page.locator("#pause").wait_for(state="visible", timeout=WAIT_MS)
    proctor.post(candidate_id, "resume", reason="恢复供电")
    page.locator("#pause").wait_for(state="hidden", timeout=WAIT_MS)


@pytest.mark.candidate(4)
def test_the_server_submits_at_the_deadline(browser, live_server, candidate):
    candidate_id, ticket, id_number, session_id = candidate
    Proctor(browser, live_server, session_id).post(candidate_id, "check-in")
    page = sign_in(browser, live_server, ticket, id_number)
    start_exam(page)
    answer_current(page, "1")
    wait_for(lambda: answers_saved(live_server, candidate_id) == 1, message="the answer")
    page.context.close()                # the terminal is gone
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)).replace(tzinfo=None)
    live_server.execute("UPDATE attempts SET deadline_at = ? WHERE candidate_id = ?",
                        (soon.isoformat(sep=" "), candidate_id))
    wait_for(lambda: attempt_status(live_server, candidate_id) == "timed_out", timeout=30,
             message="the server's own timeout")


@pytest.mark.candidate(5)
def test_a_move_to_a_spare_terminal_continues_the_same_attempt(browser, live_server, candidate):
    candidate_id, ticket, id_number, session_id = candidate
    proctor = Proctor(browser, live_server, session_id)
    proctor.post(candidate_id, "check-in")
    first = sign_in(browser, live_server, ticket, id_number)
    start_exam(first)
    answer_current(first, "1")
    wait_for(lambda: answers_saved(live_server, candidate_id) == 1, message="the first answer")
    taken = {row[0] for row in live_server.query(
        "SELECT seat_id FROM session_candidates WHERE session_id = ? AND seat_id IS NOT NULL", (session_id,))}
    spare = live_server.query(
        "SELECT s.id FROM seats s JOIN exam_sessions e ON e.room_id = s.room_id WHERE e.id = ? ORDER BY s.id",
        (session_id,))
    seat_id = next(row[0] for row in spare if row[0] not in taken)
    proctor.post(candidate_id, "move", seat_id=str(seat_id), reason="终端黑屏")
    first.wait_for_url("**/terminal/?reason=terminal.moved", timeout=WAIT_MS)   # the old terminal is shut out
    assert first.locator("[data-code='terminal.moved']").is_visible()
    second = sign_in(browser, live_server, ticket, id_number)   # at the spare terminal
    second.locator("#exam").wait_for(state="visible", timeout=WAIT_MS)
    wait_for(lambda: second.locator("#count-answered").inner_text() == "1", message="the answer at the new seat")
    second.keyboard.press("ArrowRight")   # on to question 2, then answer it
    answer_current(second, "2")
    wait_for(lambda: answers_saved(live_server, candidate_id) == 2, message="an answer from the spare terminal")
