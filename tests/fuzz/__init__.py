"""API fuzzing with schemathesis against a live server (``make fuzz``; a short run in
tests/test_fuzz.py). ``runner`` starts the run, ``hooks`` is loaded into schemathesis."""
