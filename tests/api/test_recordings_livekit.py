"""The recordings tests of test_recordings.py, run with the livekit backend:
meetd drives the LiveKit test double (tests/livekit_double) over Twirp and
learns about its egresses from its signed webhooks."""

import os

os.environ["MEETD_TEST_RECORDING_BACKEND"] = "livekit"

import harness  # noqa: E402
from test_recordings import *  # noqa: E402,F401,F403

if __name__ == "__main__":
    harness.main()
