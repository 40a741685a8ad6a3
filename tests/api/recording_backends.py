"""The two recording backends as the recordings tests see them.

test_recordings.py runs against `local` (ffmpeg in meetd) and, through
test_recordings_livekit.py, against `livekit`: meetd then drives the LiveKit
test double (tests/livekit_double), which plays the media server: meetings
start when a participant joins it, and its egresses write the media files.
MEETD_TEST_RECORDING_BACKEND selects one (default local).
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import harness
from harness import Meetd, lk_event, lk_send

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "livekit_double"))


# A small advanced encoding, cheap for the local backend's ffmpeg.
SMALL = {"video": {"width": 320, "height": 240, "framerate": 15,
                   "codec": "H264_MAIN", "bitrate": 300,
                   "keyFrameInterval": 1, "depth": 24},
         "audio": {"codec": "AAC", "bitrate": 64, "frequency": 44100}}


def twirp(url, service, method, body, grant, key=harness.LK_KEY,
          secret=harness.LK_SECRET):
    """Calls the double's Twirp API as a LiveKit SDK would; returns
    (status, parsed JSON or text)."""
    def b64(d):
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()
    claims = {"video": grant, "iss": key, "exp": int(time.time()) + 600,
              "nbf": 0}
    signing = b64(b'{"alg":"HS256"}') + "." + b64(json.dumps(claims).encode())
    token = signing + "." + b64(hmac.new(secret.encode(), signing.encode(),
                                         hashlib.sha256).digest())
    req = urllib.request.Request(
        "%s/twirp/%s/%s" % (url, service, method),
        data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


class LocalBackend:
    name = "local"

    def meetd(self, env=None, **kw):
        return Meetd(env=env, **kw)

    def start_meeting(self, m, rid, participant="alice"):
        """A meeting with `participant` in it (None: nobody)."""
        assert lk_send(m, lk_event("room_started", rid))[0] == 200
        if participant:
            assert lk_send(m, lk_event("participant_joined", rid,
                                       participant=participant))[0] == 200

    def end_meeting(self, m, rid):
        assert lk_send(m, lk_event("room_finished", rid))[0] == 200

    def media_dir(self, m, rid):
        return os.path.join(m.data_dir, "recordings", rid)

    def kill_egress(self, m, rec_id):
        out = subprocess.run(["pgrep", "-f", rec_id.split("--")[2]],
                             capture_output=True, text=True)
        pids = [int(p) for p in out.stdout.split()]
        assert pids, "no ffmpeg process found"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

    def meetd_never_active(self, env):
        """A meetd whose egresses never become active."""
        tmp = tempfile.mkdtemp(prefix="meetd-ff-")
        fake = os.path.join(tmp, "ffmpeg")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\nexec sleep 30\n")
        os.chmod(fake, 0o755)
        return Meetd(env=dict(env, MEET_FFMPEG=fake))

    def egress_survives_restart(self):
        return False


class LiveKitBackend:
    """meetd with MEET_RECORDING_BACKEND=livekit against one double per
    meetd (stopped with it)."""
    name = "livekit"

    def __init__(self):
        from livekit_double import LiveKitDouble
        self._cls = LiveKitDouble
        self.doubles = {}

    def meetd(self, env=None, data_dir=None, double=None, faults=None,
              **kw):
        if double is None:
            egress_dir = tempfile.mkdtemp(prefix="meetd-egress-")
            double = self._cls(api_key=harness.LK_KEY,
                               api_secret=harness.LK_SECRET,
                               egress_dir=egress_dir, ffmpeg="ffmpeg",
                               active_delay_ms=300)
            double.start()
        if faults:
            double.set_faults(**faults)
        e = {"MEET_RECORDING_BACKEND": "livekit",
             "LIVEKIT_URL": double.ws_url,
             "MEET_EGRESS_DIR": double.egress_dir,
             "MEET_LIVEKIT_TIMEOUT_MS": "3000"}
        e.update(env or {})
        m = Meetd(env=e, data_dir=data_dir, **kw)
        double.webhook_url = "http://127.0.0.1:%d/livekit/webhook" % m.port
        self.doubles[id(m)] = double
        stop = m.stop

        def stop_both(*a, **k):
            try:
                return stop(*a, **k)
            finally:
                if not getattr(m, "keep_double", False):
                    try:
                        double.stop()
                    except Exception:
                        pass
                    shutil.rmtree(double.egress_dir, ignore_errors=True)
        m.stop = stop_both
        m.double = double
        return m

    def start_meeting(self, m, rid, participant="alice"):
        d = m.double
        if participant:
            d.join(rid, participant)
        else:
            status, body = twirp(d.url, "livekit.RoomService", "CreateRoom",
                                 {"name": rid, "emptyTimeout": 300},
                                 {"roomCreate": True})
            assert status == 200, body
        # Every event of an earlier meeting of this room is delivered
        # first, so that a late room_finished cannot end this one.
        d.wait_idle(10 * harness.TIMEOUT_SCALE)
        self.wait_room(m, rid, "active_meeting")

    def end_meeting(self, m, rid):
        status, body = twirp(m.double.url, "livekit.RoomService", "DeleteRoom",
                             {"room": rid}, {"roomCreate": True})
        assert status == 200, body

    def wait_room(self, m, rid, status, timeout=10):
        deadline = time.time() + timeout * harness.TIMEOUT_SCALE
        while time.time() < deadline:
            st, _, room = m.request("GET", "/api/v1/rooms/" + rid)
            if st == 200 and room.get("status") == status:
                return
            time.sleep(0.05)
        raise AssertionError("room %s never became %s" % (rid, status))

    def media_dir(self, m, rid):
        return os.path.join(m.double.egress_dir, "openvidu-meet", "recordings",
                            rid)

    def kill_egress(self, m, rec_id):
        m.double.end_egress(rec_id.split("--")[1], status="EGRESS_FAILED")

    def meetd_never_active(self, env):
        return self.meetd(env=env, faults={"egress_active": "never"})

    def egress_survives_restart(self):
        return True


def current():
    name = os.environ.get("MEETD_TEST_RECORDING_BACKEND", "local")
    return LiveKitBackend() if name == "livekit" else LocalBackend()
