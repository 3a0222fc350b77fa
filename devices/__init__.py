"""Hardware: serial framing, the ID-card reader (GA/T 467), the kiosk controller, practical-exam simulators,
the camera and the face engine, their emulators, and the device agents that bridge hardware to the
centre over HTTP. Knows nothing of Flask, the database or the question bank (DESIGN.md §2).
"""
