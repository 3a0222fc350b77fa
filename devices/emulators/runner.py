"""Running an emulator from the command line: on a given port, or on a fresh linked pty pair whose driver
side is printed, with a few words on stdin to script the device (``help`` lists them)."""
from __future__ import annotations

import argparse
import logging
import shlex
import signal
import sys
import threading
from typing import Callable

from ..pty import LinkedPtys
from ..transport.settings import LineSettings
from .base import EmulatedDevice, EmulatorPort


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", help="serial URL or path the device side opens; omitted: create a linked "
                                       "pty pair and print the path for the driver")
    parser.add_argument("--baudrate", type=int, default=115200, help="line speed paced on a created pty pair")
    parser.add_argument("--link", help="stable symlink for the driver side of a created pty pair")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every frame")
    return parser


def run(device: EmulatedDevice, options: argparse.Namespace, name: str,
        commands: dict[str, Callable[..., object]]) -> None:
    logging.basicConfig(level=logging.DEBUG if options.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    link = None
    if options.port:
        url = options.port
    else:
        link = LinkedPtys(options.baudrate, link_a=options.link)
        url = link.b_path
        print(f"{name}: driver port {link.a_path}", flush=True)
    server = EmulatorPort(device, url, LineSettings(url, baudrate=options.baudrate))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if sys.stdin.isatty():
            _console(device, name, commands, stop)
        else:
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if link:
            link.close()


def _console(device: EmulatedDevice, name: str, commands: dict[str, Callable[..., object]],
             stop: threading.Event) -> None:
    print(f"{name}: commands: {', '.join(sorted(commands))}, quit", flush=True)
    for line in sys.stdin:
        words = shlex.split(line)
        if not words:
            continue
        if words[0] == "quit" or stop.is_set():
            return
        command = commands.get(words[0])
        if command is None:
            print(f"unknown command {words[0]!r}", flush=True)
            continue
        try:
            with device.lock:
                result = command(*words[1:])
        except (TypeError, ValueError, IndexError) as exc:
            print(f"{words[0]}: {exc}", flush=True)
            continue
        if result is not None:
            print(result, flush=True)
