"""Kiosk controller board (自助终端控制板): card printer, dispenser, lights and door, on our own framed
protocol (docs/protocols/kiosk-controller.md)."""
