"""Serial transport shared by every wired device: line settings from configuration, one owner thread per
line, reconnect with back-off, frame logging, checksums and linked pseudo-terminals for emulation."""
