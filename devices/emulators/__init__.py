"""Emulators of our serial devices, each runnable as ``python -m devices.emulators.<name> --port …`` and
in-process for tests. Device logic is deterministic: time comes from a clock the caller controls."""
