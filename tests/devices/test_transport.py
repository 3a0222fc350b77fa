"""Line settings meet a real pseudo-terminal: what it refuses is reported clearly, not half-opened."""
from __future__ import annotations

import pytest

from devices.pty import LinkedPtys
from devices.transport.errors import LineUnavailable
from devices.transport.line import SerialLine
from devices.transport.settings import LineSettings, open_port


def test_rs485_mode_a_pty_refuses_is_reported():
    with LinkedPtys() as cable:
        with pytest.raises(LineUnavailable, match=f"cannot open {cable.a_path} 115200 8N1 RS-485"):
            open_port(LineSettings.parse(f"{cable.a_path} rs485=on"))


def test_a_missing_port_is_retried_and_reported(tmp_path):
    line = SerialLine(LineSettings(str(tmp_path / "ttyUSB-not-plugged")), backoff=(0.05, 0.1))
    try:
        with pytest.raises(LineUnavailable, match="unavailable: cannot open .*ttyUSB-not-plugged"):
            line.call(lambda port: port.write(b"x"), timeout=0.3)
    finally:
        line.close()


def test_frames_are_kept_for_fault_reports(tmp_path):
    with LinkedPtys(link_a=tmp_path / "a") as cable:
        line = SerialLine(LineSettings(cable.a_path))
        try:
            for index in range(3):
                line.call(lambda port: line.frames.record("tx", bytes([index, 0xAB])), timeout=2)
        finally:
            line.close()
    report = line.frames.report(2)
    assert report.count("\n") == 1 and report.endswith("tx    02 ab")
