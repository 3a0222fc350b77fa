"""Second-generation resident ID card (二代身份证) reader speaking GA/T 467 frames to its SAM module."""
