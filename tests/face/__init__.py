"""Face engine, camera and calibration tests on the shared real photos and video (no database)."""
