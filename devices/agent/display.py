"""What the hall operator reads (操作员提示): one line per event, Chinese first, then English.

Texts never carry the ID number in clear; a card holder's name is shown because the operator holds the card.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

logger = logging.getLogger(__name__)

TEXTS: dict[str, tuple[str, str]] = {
    "ready": ("签到代理已就绪：考场 {session}，请刷身份证", "check-in agent ready for session {session}: present an ID card"),
    "card": ("已读取身份证：{name}（{id_number}）", "ID card read: {name} ({id_number})"),
    "lift_card": ("读卡失败，请拿起身份证重新放置", "reading the card failed: lift the card and present it again"),
    "reader_down": ("身份证阅读器无响应：{error}", "ID-card reader not answering: {error}"),
    "reader_back": ("身份证阅读器已恢复", "ID-card reader answering again"),
    "candidate": ("名单核对通过：{name}，准考证号 {ticket_number}，请正对摄像头",
                  "on the roster: {name}, ticket {ticket_number}; look at the camera"),
    "liveness": ("活体检测：{prompt}", "liveness check: {prompt_en}"),
    "refused": ("不能签到：{text}", "cannot check in: {text_en}"),
    "camera_failed": ("摄像头取像失败，请联系监考员：{error}", "camera gave no frames, call the proctor: {error}"),
    "accept": ("人证核验通过，已签到：{label}，座位 {seat_id}，考试机已解锁",
               "face check accepted, checked in: {label}, seat {seat_id}; the terminal is unlocked"),
    "review": ("需监考员人工核验：{label}（{reason}），请到监考台", "a proctor decides: {label} ({reason}); go to the proctor's desk"),
    "reject": ("人脸核验未通过：{label}（{reason}），剩余 {retries_left} 次，请重新刷卡再试",
               "face check not accepted: {label} ({reason}); {retries_left} tries left, present the card again"),
    "applied_earlier": ("{label} 的核验此前已送达中心：{text}", "{label}: the check had reached the centre earlier: {text_en}"),
    "queued": ("考试中心无法连接，核验已排队待发（{queued} 条），请到监考台",
               "centre unreachable, check queued ({queued} waiting); go to the proctor's desk"),
    "unreachable": ("考试中心无法连接：{error}", "centre unreachable: {error}"),
    "take_card": ("请取走身份证", "take the card away"),
}

# The centre's refusals, explained for the operator (the centre's own message follows for other codes).
REFUSALS: dict[str, tuple[str, str]] = {
    "checkin.wrong_session": ("持证人安排在其他场次，不是本场", "the card holder is scheduled for another session"),
    "checkin.not_scheduled": ("持证人不在本场考生名单中", "the card holder is not on this session's roster"),
    "checkin.already": ("该考生已签到或已不能签到", "already checked in, or can no longer check in"),
    "checkin.review_pending": ("监考员正在人工核验该考生", "a proctor is reviewing this candidate"),
    "checkin.retries_exhausted": ("人脸核验次数已用完，请监考员处理", "no face-check tries left: the proctor decides"),
    "checkin.other_centre": ("本设备不属于该考点", "this device belongs to another exam centre"),
}


def explain(code: str, message: str) -> tuple[str, str]:
    return REFUSALS.get(code, (message or code, message or code))


class Display:
    """Prints to ``stream`` and logs; ``show`` is the one call the agent makes."""

    def __init__(self, stream: TextIO = sys.stdout):
        self.stream = stream

    def show(self, kind: str, **fields) -> None:
        chinese, english = TEXTS[kind]
        line = f"{time.strftime('%H:%M:%S')} {chinese.format(**fields)} / {english.format(**fields)}"
        print(line, file=self.stream, flush=True)
        # The log keeps the event without the card holder's name (personal data stays on the screen).
        logger.info("%s %s", kind, {k: v for k, v in fields.items() if k != "name"})
