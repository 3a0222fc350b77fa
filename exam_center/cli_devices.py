"""``exam-center devices …``: the serial device emulators (the devices package itself knows nothing of us)."""
from __future__ import annotations

import threading
from pathlib import Path

import click

from .config import Settings


@click.group()
def devices() -> None:
    """Serial devices: ID-card reader, kiosk controller, practical-exam stations."""


@devices.command("emulate")
@click.option("--folder", type=click.Path(path_type=Path, file_okay=False),
              help="Where the driver-side port symlinks are created [default: INSTANCE_DIR/devices].")
@click.option("--stations", type=click.IntRange(1, 16), default=4, show_default=True,
              help="Practical-exam stations on the emulated bus (unit ids 1..N).")
@click.option("--baudrate", type=int, default=115200, show_default=True, help="Line speed the cables pace.")
def emulate(folder: Path | None, stations: int, baudrate: int) -> None:
    """Start the demo device set on pseudo-terminals, print the port paths, run until Ctrl-C."""
    from devices.emulators.demo import DemoHall

    with DemoHall(folder or Settings.from_env().instance_dir / "devices", stations, baudrate) as hall:
        for name, path in hall.ports.items():
            click.echo(f"{name}: {path}")
        click.echo(f"practical-bus stations: unit ids 1..{stations}; line settings 8N1 at {baudrate} baud. "
                   "Ctrl-C stops.", err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
