"""Integration tests of meetctl: runs the real binary against a small HTTP
receiver on loopback and checks what LiveKit would have sent: the path, the
headers, the WebhookEvent JSON, and the signature token (HMAC-SHA256 and the
sha256 claim recomputed here)."""

import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

import harness


class Receiver:
    """Records every request. A base path "/status/<code>" makes the
    receiver answer with that status, so a test picks the answer through
    meetctl's --url."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                outer.requests.append({
                    "method": "POST",
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                })
                m = re.match(r"^/status/(\d+)/", self.path)
                status = int(m.group(1)) if m else 200
                reply = b"" if status < 300 else b'{"error":"nope"}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_token(token, body, key, secret, ttl=300):
    """Checks a LiveKit webhook token the way the JS SDK would; returns its
    claims."""
    parts = token.split(".")
    assert len(parts) == 3, token
    for p in parts:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", p), "not base64url: " + p
    header = json.loads(b64url_decode(parts[0]))
    assert header == {"alg": "HS256", "typ": "JWT"}, header
    mac = hmac.new(secret.encode(), (parts[0] + "." + parts[1]).encode(),
                   hashlib.sha256).digest()
    assert hmac.compare_digest(mac, b64url_decode(parts[2])), "bad signature"
    claims = json.loads(b64url_decode(parts[1]))
    assert set(claims) == {"iss", "nbf", "exp", "sha256"}, claims
    assert claims["iss"] == key, claims
    now = time.time()
    assert abs(claims["nbf"] - now) < 30, claims
    assert claims["exp"] == claims["nbf"] + ttl, claims
    want = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert claims["sha256"] == want, (claims["sha256"], want)
    return claims


class MeetctlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.bin = os.path.join(harness.BIN_DIR, "meetctl")

    @classmethod
    def tearDownClass(cls):
        cls.rx.stop()

    def setUp(self):
        self.rx.requests.clear()

    def run_ctl(self, *args, env=None, url=True, stdin=None):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("MEET_", "LIVEKIT_"))}
        if env:
            e.update(env)
        argv = [self.bin]
        if url:
            argv += ["--url", self.rx.url]
        argv += list(args)
        p = subprocess.run(argv, env=e, input=stdin, capture_output=True,
                           timeout=60)
        out, err = p.stdout.decode(), p.stderr.decode()
        for text in (out, err):
            self.assertNotIn("Sanitizer", text)
            self.assertNotIn("runtime error", text)
        return p.returncode, out, err

    def check_request(self, req, key="devkey", secret="secret",
                      path="/livekit/webhook"):
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], path)
        h = req["headers"]
        self.assertEqual(h["content-type"], "application/webhook+json")
        self.assertNotIn("expect", h)
        auth = h["authorization"]
        self.assertFalse(auth.startswith("Bearer"), auth)
        verify_token(auth, req["body"], key, secret)
        ev = json.loads(req["body"])
        self.assertRegex(ev["id"], r"^EV_[A-Za-z0-9]{12}$")
        self.assertIsInstance(ev["createdAt"], str)
        self.assertRegex(ev["createdAt"], r"^[0-9]+$")
        self.assertLess(abs(int(ev["createdAt"]) - time.time()), 30)
        return ev

    def check_room(self, room, name):
        self.assertEqual(room["name"], name)
        self.assertRegex(room["sid"], r"^RM_[A-Za-z0-9]{12}$")
        self.assertRegex(room["creationTime"], r"^[0-9]+$")
        self.assertEqual(json.loads(room["metadata"])["createdBy"],
                         "openviduMeet")

    def test_meeting_start_with_participants(self):
        rc, out, err = self.run_ctl("meeting", "start", "team-1",
                                    "--participants", "2")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(self.rx.requests), 3)
        evs = [self.check_request(r) for r in self.rx.requests]
        self.assertEqual([e["event"] for e in evs],
                         ["room_started", "participant_joined",
                          "participant_joined"])
        for e in evs:
            self.check_room(e["room"], "team-1")
        self.assertNotIn("participant", evs[0])
        self.assertEqual([e["participant"]["identity"] for e in evs[1:]],
                         ["p1", "p2"])
        for e in evs[1:]:
            p = e["participant"]
            self.assertEqual(p["state"], "ACTIVE")
            self.assertRegex(p["sid"], r"^PA_[A-Za-z0-9]{12}$")
            self.assertRegex(p["joinedAt"], r"^[0-9]+$")
            self.assertNotIn("kind", p)
        # One room, one sid; distinct events, distinct ids.
        self.assertEqual(len({e["room"]["sid"] for e in evs}), 1)
        self.assertEqual(len({e["id"] for e in evs}), 3)
        self.assertEqual(out.count("HTTP 200"), 3, out)

    def test_meeting_end(self):
        rc, out, err = self.run_ctl("meeting", "end", "team-1")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(self.rx.requests), 1)
        ev = self.check_request(self.rx.requests[0])
        self.assertEqual(ev["event"], "room_finished")
        self.check_room(ev["room"], "team-1")
        self.assertIn("HTTP 200", out)

    def test_participant_join_and_leave(self):
        rc, _, err = self.run_ctl("participant", "join", "r-1", "alice")
        self.assertEqual(rc, 0, err)
        rc, _, err = self.run_ctl("participant", "leave", "r-1", "alice")
        self.assertEqual(rc, 0, err)
        joined, left = [self.check_request(r) for r in self.rx.requests]
        self.assertEqual(joined["event"], "participant_joined")
        self.assertEqual(left["event"], "participant_left")
        self.assertEqual(joined["participant"]["identity"], "alice")
        self.assertEqual(joined["participant"]["state"], "ACTIVE")
        self.assertEqual(left["participant"]["state"], "DISCONNECTED")
        self.assertEqual(left["participant"]["disconnectReason"],
                         "CLIENT_INITIATED")
        # The same participant keeps its sid across invocations.
        self.assertEqual(joined["participant"]["sid"],
                         left["participant"]["sid"])
        self.assertEqual(joined["room"]["sid"], left["room"]["sid"])

    def test_credentials_and_url_from_env_and_flags(self):
        env = {"LIVEKIT_API_KEY": "envkey", "LIVEKIT_API_SECRET": "envsecret",
               "MEET_URL": self.rx.url + "/", "MEET_NAME_ID": "myMeet"}
        rc, _, err = self.run_ctl("meeting", "end", "r", env=env, url=False)
        self.assertEqual(rc, 0, err)
        req = self.rx.requests[-1]
        self.check_request(req, key="envkey", secret="envsecret")
        self.assertEqual(json.loads(json.loads(req["body"])["room"]
                                    ["metadata"])["createdBy"], "myMeet")
        rc, _, err = self.run_ctl("--api-key", "k2", "--api-secret=s2",
                                  "meeting", "end", "r", env=env)
        self.assertEqual(rc, 0, err)
        self.check_request(self.rx.requests[-1], key="k2", secret="s2")

    def test_event_file(self):
        with tempfile.TemporaryDirectory() as d:
            # Complete: sent byte for byte, odd whitespace included.
            full = os.path.join(d, "full.json")
            raw = (b'{"event": "egress_ended",  "room":{"name":"r"},\n'
                   b' "id":"EV_fixed000001", "createdAt":"1736500074",'
                   b' "future":[1]}\n')
            with open(full, "wb") as f:
                f.write(raw)
            rc, out, err = self.run_ctl("event", full)
            self.assertEqual(rc, 0, err)
            req = self.rx.requests[-1]
            self.assertEqual(req["body"], raw)
            verify_token(req["headers"]["authorization"], raw, "devkey",
                         "secret")
            self.assertIn("egress_ended", out)
            # Without id and createdAt: both filled in, keys kept in order.
            part = os.path.join(d, "part.json")
            with open(part, "w") as f:
                f.write('{"event":"room_started","room":{"name":"r2"}}')
            rc, _, err = self.run_ctl("event", part)
            self.assertEqual(rc, 0, err)
            ev = self.check_request(self.rx.requests[-1])
            self.assertEqual(list(ev), ["event", "room", "id", "createdAt"])
            self.assertEqual(ev["room"], {"name": "r2"})
            # From stdin.
            rc, _, err = self.run_ctl(
                "event", "-", stdin=b'{"event":"x","createdAt":"5"}')
            self.assertEqual(rc, 0, err)
            ev = self.check_request_loose(self.rx.requests[-1])
            self.assertEqual(ev["createdAt"], "5")
            # Not JSON, not an object, missing file: exit 1, nothing sent.
            n = len(self.rx.requests)
            bad = os.path.join(d, "bad.json")
            for text in ("{", "[1]", ""):
                with open(bad, "w") as f:
                    f.write(text)
                rc, _, err = self.run_ctl("event", bad)
                self.assertEqual(rc, 1, text)
                self.assertIn("meetctl:", err)
            rc, _, _ = self.run_ctl("event", os.path.join(d, "missing"))
            self.assertEqual(rc, 1)
            self.assertEqual(len(self.rx.requests), n)

    def check_request_loose(self, req):
        verify_token(req["headers"]["authorization"], req["body"], "devkey",
                     "secret")
        return json.loads(req["body"])

    def test_non_2xx_and_unreachable(self):
        rc, out, err = self.run_ctl("--url", self.rx.url + "/status/401",
                                    "meeting", "end", "r", url=False)
        self.assertEqual(rc, 1)
        self.assertIn("HTTP 401", out)
        self.assertIn("nope", err)
        self.check_request(self.rx.requests[-1],
                           path="/status/401/livekit/webhook")
        rc, out, _ = self.run_ctl("--url", self.rx.url + "/status/204",
                                  "meeting", "end", "r", url=False)
        self.assertEqual(rc, 0)
        self.assertIn("HTTP 204", out)
        # A failure stops "meeting start" before the participants.
        n = len(self.rx.requests)
        rc, _, _ = self.run_ctl("--url", self.rx.url + "/status/500",
                                "meeting", "start", "r", "--participants",
                                "3", url=False)
        self.assertEqual(rc, 1)
        self.assertEqual(len(self.rx.requests), n + 1)
        # Nothing listens on port 1.
        rc, _, err = self.run_ctl("--url", "http://127.0.0.1:1", "meeting",
                                  "end", "r", url=False)
        self.assertEqual(rc, 1)
        self.assertIn("failed", err)

    def test_usage(self):
        rc, out, _ = self.run_ctl("--help", url=False)
        self.assertEqual(rc, 0)
        for word in ("meeting start", "meeting end", "participant join",
                     "participant leave", "event FILE", "bench-requests",
                     "--participants", "--url", "--api-key", "--api-secret",
                     "MEET_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
            self.assertIn(word, out)
        bad = [
            [], ["meeting"], ["meeting", "start"], ["meeting", "stop", "r"],
            ["meeting", "start", "r", "extra"], ["participant", "join", "r"],
            ["participant", "kick", "r", "a"], ["event"], ["event", "a", "b"],
            ["bench-requests", "3"], ["bench-requests", "0", "-"],
            ["bench-requests", "x", "-"], ["nope"], ["--bogus", "meeting",
                                                      "end", "r"],
            ["meeting", "start", "r", "--participants", "-1"],
            ["meeting", "start", "r", "--participants", "2x"],
            ["meeting", "end", "r", "--participants", "2"],
            ["meeting", "end", ""], ["--api-secret", "", "meeting", "end",
                                     "r"],
            ["meeting", "end", "r", "--url"],
        ]
        for args in bad:
            rc, out, err = self.run_ctl(*args)
            self.assertEqual(rc, 2, args)
            self.assertIn("meetctl:", err, args)
        self.assertEqual(self.rx.requests, [])

    def test_dash_dash_ends_options(self):
        rc, _, err = self.run_ctl("meeting", "end", "--", "-odd")
        self.assertEqual(rc, 0, err)
        ev = self.check_request(self.rx.requests[-1])
        self.assertEqual(ev["room"]["name"], "-odd")

    def check_bench_line(self, line, room):
        tok, body = line.split(" ", 1)
        body = body.encode()
        verify_token(tok, body, "devkey", "secret", ttl=600)
        ev = json.loads(body)
        self.assertEqual(ev["event"], "participant_joined")
        self.assertEqual(ev["room"]["name"], room)
        self.assertEqual(ev["participant"]["identity"], "p1")
        self.assertRegex(ev["id"], r"^EV_[A-Za-z0-9]{12}$")
        return ev

    def test_bench_requests(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "reqs.txt")
            rc, _, err = self.run_ctl("bench-requests", "5", out)
            self.assertEqual(rc, 0, err)
            with open(out) as f:
                lines = f.read().split("\n")
            self.assertEqual(lines[-1], "")
            lines = lines[:-1]
            self.assertEqual(len(lines), 5)
            evs = [self.check_bench_line(l, "bench-%d" % (i + 1))
                   for i, l in enumerate(lines)]
            self.assertEqual(len({e["id"] for e in evs}), 5)
            # Room ids from stdin, blank lines and CRs ignored; to stdout.
            rc, stdout, err = self.run_ctl(
                "bench-requests", "-", "-",
                stdin=b"room-a\n\nroom-b\r\nroom-c")
            self.assertEqual(rc, 0, err)
            lines = stdout.rstrip("\n").split("\n")
            self.assertEqual(len(lines), 3)
            for line, room in zip(lines, ("room-a", "room-b", "room-c")):
                self.check_bench_line(line, room)
            self.assertEqual(self.rx.requests, [])


if __name__ == "__main__":
    harness.main()
