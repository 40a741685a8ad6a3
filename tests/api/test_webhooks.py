"""Outgoing webhooks (BEHAVIOUR.md §9): the events of meetings and
recordings, their exact bodies and signatures (recomputed here with hmac
and hashlib), retries, durability across kill -9, a receiver that never
answers, the disabled state, and the configuration endpoints.

A receiver runs in this process on loopback (http.server in a thread); it
records every request and answers as told: 200, 500, or not at all."""

import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import unittest

import harness
from harness import API_KEY, Meetd, lk_event, lk_send

SMALL = {"video": {"width": 320, "height": 240, "framerate": 15,
                   "codec": "H264_MAIN", "bitrate": 300,
                   "keyFrameInterval": 1, "depth": 24},
         "audio": {"codec": "AAC", "bitrate": 64, "frequency": 44100}}

BASE_URL = "http://meet.example:8080"


class Receiver:
    """A webhook receiver on 127.0.0.1. `mode` is "ok" (200), "fail" (500)
    or "hang" (never answers until release()); `script` optionally lists
    the statuses of the next requests, then `mode` applies."""

    def __init__(self, port=0):
        self.requests = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.mode = "ok"
        self.script = []
        self.released = threading.Event()
        self.server = None
        self.port = port
        self.start()

    def start(self):
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with recv.cond:
                    recv.requests.append({
                        "path": self.path, "body": body, "t": time.time(),
                        "headers": {k.lower(): v for k, v in self.headers.items()}})
                    recv.cond.notify_all()
                    status = recv.script.pop(0) if recv.script else None
                    mode = recv.mode
                if status is None:
                    if mode == "hang":
                        recv.released.wait(60)
                        status = 200
                    else:
                        status = 500 if mode == "fail" else 200
                out = b'{"ok":true}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    # meetd gave up on this request (timeout, shutdown).
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                      Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        """Stops listening (a "down" receiver: connections are refused)."""
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def events(self):
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]

    def wait_for(self, pred, timeout=15.0):
        """Waits until pred(requests) is true; returns the requests."""
        deadline = time.time() + timeout
        with self.cond:
            while not pred(self.requests):
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("receiver: condition not met; got %s"
                                         % [json.loads(r["body"])["event"]
                                            for r in self.requests])
                self.cond.wait(left)
            return list(self.requests)

    def wait_count(self, n, timeout=15.0):
        return self.wait_for(lambda rs: len(rs) >= n, timeout)


def signature(timestamp, body, key=API_KEY):
    msg = timestamp.encode() + b"." + body
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def discard(m):
    """Releases a Meetd whose process already exited (or was killed by the
    test) without the harness printing its log as an unexpected death."""
    if m.proc.poll() is None:
        m.cleanup()
        return
    m.proc.stdout.close()
    if not m.log.closed:
        m.log.close()
    if m.tmp:
        shutil.rmtree(m.tmp, ignore_errors=True)


def webhook_env(url, **extra):
    env = {"MEET_INITIAL_WEBHOOK_ENABLED": "true",
           "MEET_INITIAL_WEBHOOK_URL": url, "MEET_BASE_URL": BASE_URL}
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Base(unittest.TestCase):
    def api(self, m, method, path, body=None, **kw):
        return m.request(method, "/api/v1" + path, body=body, **kw)

    def room(self, m, **body):
        st, _, room = self.api(m, "POST", "/rooms", body)
        self.assertEqual(st, 201, room)
        return room

    def check_request(self, r, key=API_KEY):
        """Checks headers, signature and body shape of one delivery; returns
        the parsed body."""
        h = r["headers"]
        self.assertEqual(r["path"], "/hook")
        self.assertEqual(h["content-type"], "application/json")
        self.assertRegex(h["x-timestamp"], r"^\d{13}$")
        self.assertRegex(h["x-signature"], r"^[0-9a-f]{64}$")
        self.assertEqual(h["x-signature"], signature(h["x-timestamp"], r["body"], key))
        # Keys exactly event, creationDate, data, in that order, compact.
        pairs = json.loads(r["body"], object_pairs_hook=lambda p: p)
        self.assertEqual([k for k, _ in pairs], ["event", "creationDate", "data"])
        ev = json.loads(r["body"])
        self.assertEqual(ev["creationDate"], int(h["x-timestamp"]))
        self.assertEqual(r["body"], json.dumps(ev, separators=(",", ":"),
                                               ensure_ascii=False).encode())
        self.assertLessEqual(abs(ev["creationDate"] / 1000 - r["t"]), 30)
        return ev


class EventsTest(Base):
    """One meetd with webhooks enabled from the environment."""

    @classmethod
    def setUpClass(cls):
        cls.recv = Receiver()
        cls.m = Meetd(workers=2, env=webhook_env(cls.recv.url))

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()
        cls.recv.stop()

    def setUp(self):
        self.recv.mode = "ok"
        self.recv.script = []

    def room_events(self, rid, n, timeout=15.0):
        def mine(rs):
            return [r for r in rs if rid in r["body"].decode()]
        self.recv.wait_for(lambda rs: len(mine(rs)) >= n, timeout)
        with self.recv.lock:
            return mine(self.recv.requests)

    def test_config_from_environment(self):
        st, _, body = self.api(self.m, "GET", "/config/webhooks")
        self.assertEqual((st, body), (200, {"enabled": True, "url": self.recv.url}))

    def test_meeting_events(self):
        room = self.room(self.m, roomName="Webhook Room")
        rid = room["roomId"]
        # Creating a room emits nothing.
        time.sleep(0.5)
        self.assertEqual(self.room_events(rid, 0), [])
        self.assertEqual(lk_send(self.m, lk_event("room_started", rid))[0], 200)
        reqs = self.room_events(rid, 1)
        ev = self.check_request(reqs[0])
        st, _, now = self.api(self.m, "GET", "/rooms/" + rid)
        self.assertEqual(now["status"], "active_meeting")
        self.assertEqual(ev["event"], "meetingStarted")
        # The data is the room as the API returns it (MEET_BASE_URL in the
        # URLs, as there is no request to take a host from).
        self.assertEqual(ev["data"], now)
        self.assertTrue(ev["data"]["moderatorUrl"].startswith(BASE_URL + "/meet/room/"))
        self.assertEqual(lk_send(self.m, lk_event("room_finished", rid))[0], 200)
        reqs = self.room_events(rid, 2)
        ev2 = self.check_request(reqs[1])
        self.assertEqual(ev2["event"], "meetingEnded")
        st, _, after = self.api(self.m, "GET", "/rooms/" + rid)
        self.assertEqual(after["status"], "open")
        self.assertEqual(ev2["data"], after)
        self.assertGreaterEqual(ev2["creationDate"], ev["creationDate"])
        # Nothing else is sent for it.
        time.sleep(0.3)
        self.assertEqual(len(self.room_events(rid, 2)), 2)

    def test_recording_events(self):
        rid = self.room(self.m, roomName="rec", config={
            "recording": {"enabled": True, "encoding": SMALL}})["roomId"]
        lk_send(self.m, lk_event("room_started", rid))
        lk_send(self.m, lk_event("participant_joined", rid, participant="al"))
        st, _, rec = self.api(self.m, "POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        rec_id = rec["recordingId"]
        time.sleep(1.5)
        st, _, _ = self.api(self.m, "POST", "/recordings/%s/stop" % rec_id)
        self.assertEqual(st, 202)
        deadline = time.time() + 20
        while time.time() < deadline:
            st, _, done = self.api(self.m, "GET", "/recordings/" + rec_id)
            if done["status"] == "complete":
                break
            time.sleep(0.1)
        self.assertEqual(done["status"], "complete")
        reqs = self.room_events(rid, 5)
        evs = [self.check_request(r) for r in reqs]
        self.assertEqual(evs[0]["event"], "meetingStarted")
        recs = [e for e in evs if e["event"].startswith("recording")]
        self.assertEqual([(e["event"], e["data"]["status"]) for e in recs],
                         [("recordingStarted", "starting"),
                          ("recordingUpdated", "active"),
                          ("recordingUpdated", "ending"),
                          ("recordingEnded", "complete")])
        for e in recs:
            self.assertEqual(e["data"]["recordingId"], rec_id)
            self.assertEqual(e["data"]["roomId"], rid)
            self.assertEqual(e["data"]["roomName"], "rec")
            self.assertEqual(e["data"]["encoding"], SMALL)
        self.assertEqual(recs[-1]["data"], done)
        self.assertNotIn("endDate", recs[0]["data"])
        dates = [e["creationDate"] for e in evs]
        self.assertEqual(dates, sorted(dates))
        lk_send(self.m, lk_event("room_finished", rid))
        self.assertEqual(json.loads(self.room_events(rid, 6)[5]["body"])["event"],
                         "meetingEnded")

    def test_retried_until_the_receiver_recovers(self):
        rid = self.room(self.m)["roomId"]
        self.recv.script = [500, 503]
        lk_send(self.m, lk_event("room_started", rid))
        reqs = self.room_events(rid, 3, timeout=10)
        self.assertEqual(len(reqs), 3)
        # The same body, timestamp and signature on every attempt.
        for r in reqs[1:]:
            self.assertEqual(r["body"], reqs[0]["body"])
            self.assertEqual(r["headers"]["x-timestamp"], reqs[0]["headers"]["x-timestamp"])
            self.assertEqual(r["headers"]["x-signature"], reqs[0]["headers"]["x-signature"])
        self.check_request(reqs[2])
        # Backoff of 300 ms, then 600 ms (MEET_WEBHOOK_BACKOFF_MS default).
        self.assertGreaterEqual(reqs[1]["t"] - reqs[0]["t"], 0.25)
        self.assertGreaterEqual(reqs[2]["t"] - reqs[1]["t"], 0.55)
        # Delivered: not sent again.
        time.sleep(1.5)
        self.assertEqual(len(self.room_events(rid, 3)), 3)

    def test_events_of_one_room_stay_in_order_while_retried(self):
        rid = self.room(self.m)["roomId"]
        self.recv.script = [500]
        lk_send(self.m, lk_event("room_started", rid))
        lk_send(self.m, lk_event("room_finished", rid))
        lk_send(self.m, lk_event("room_started", rid))
        reqs = self.room_events(rid, 4, timeout=10)
        names = [json.loads(r["body"])["event"] for r in reqs]
        self.assertEqual(names, ["meetingStarted", "meetingStarted",
                                 "meetingEnded", "meetingStarted"])
        lk_send(self.m, lk_event("room_finished", rid))
        self.room_events(rid, 5)

    def test_test_endpoint(self):
        st, _, body = self.api(self.m, "POST", "/config/webhooks/test",
                               {"url": self.recv.url})
        self.assertEqual((st, body), (200, {"message": "Webhook URL is valid"}))
        r = [r for r in self.recv.requests if b"testEvent" in r["body"]][-1]
        ev = self.check_request(r)
        self.assertEqual(ev, {"event": "testEvent",
                              "creationDate": ev["creationDate"],
                              "data": {"message": "This is a test webhook event"}})
        self.recv.script = [500]
        st, _, body = self.api(self.m, "POST", "/config/webhooks/test",
                               {"url": self.recv.url})
        self.assertEqual((st, body), (400, {
            "error": "Webhook Error",
            "message": "Webhook URL '%s' is invalid: Request failed with status 500"
                       % self.recv.url}))
        dead = "http://127.0.0.1:%d/x" % free_port()
        st, _, body = self.api(self.m, "POST", "/config/webhooks/test", {"url": dead})
        self.assertEqual((st, body["error"]), (400, "Webhook Error"))
        self.assertTrue(body["message"].startswith("Webhook URL '%s' is invalid: " % dead),
                        body)
        # Validation, and the API key.
        for req, details in [
                ({}, [{"field": "url", "message": "Required"}]),
                ({"url": 5}, [{"field": "url", "message": "Expected string, received number"}]),
                ({"url": "nope"}, [{"field": "url", "message": "Must be a valid URL"},
                                   {"field": "url", "message": "URL must start with http:// or https://"}]),
                ({"url": "ftp://h/x"}, [{"field": "url", "message": "URL must start with http:// or https://"}]),
                ([1], [{"field": "", "message": "Expected object, received array"}])]:
            st, _, body = self.api(self.m, "POST", "/config/webhooks/test", req)
            self.assertEqual((st, body), (422, {"error": "Unprocessable Entity",
                                                "message": "Invalid request",
                                                "details": details}), req)
        st, _, _ = self.api(self.m, "POST", "/config/webhooks/test",
                            {"url": self.recv.url}, key=False)
        self.assertEqual(st, 401)


class ConfigTest(Base):
    def test_disabled_sends_nothing_and_put_switches(self):
        recv = Receiver()
        m = Meetd(workers=2, env={"MEET_BASE_URL": BASE_URL})
        try:
            st, _, body = self.api(m, "GET", "/config/webhooks")
            self.assertEqual((st, body), (200, {"enabled": False}))
            rid = self.room(m)["roomId"]
            lk_send(m, lk_event("room_started", rid))
            lk_send(m, lk_event("room_finished", rid))
            # Enabled with a URL: events from now on are delivered, the ones
            # that happened while disabled never are.
            st, _, body = self.api(m, "PUT", "/config/webhooks",
                                   {"enabled": True, "url": recv.url})
            self.assertEqual((st, body), (200, {"enabled": True, "url": recv.url}))
            st, _, body = self.api(m, "GET", "/config/webhooks")
            self.assertEqual(body, {"enabled": True, "url": recv.url})
            lk_send(m, lk_event("room_started", rid))
            reqs = recv.wait_count(1)
            ev = self.check_request(reqs[0])
            self.assertEqual((ev["event"], ev["data"]["roomId"]), ("meetingStarted", rid))
            # Disabled again: nothing more.
            st, _, body = self.api(m, "PUT", "/config/webhooks",
                                   {"enabled": False, "url": recv.url})
            self.assertEqual((st, body), (200, {"enabled": False, "url": recv.url}))
            lk_send(m, lk_event("room_finished", rid))
            time.sleep(1.0)
            self.assertEqual(len(recv.requests), 1)
            # A body without url forgets it (the reference stores the body).
            st, _, body = self.api(m, "PUT", "/config/webhooks", {"enabled": False})
            self.assertEqual((st, body), (200, {"enabled": False}))
            # The configuration is kept across restarts; the environment
            # applies only on first start.
            self.api(m, "PUT", "/config/webhooks", {"enabled": True, "url": recv.url})
            self.assertEqual(m.stop(), 0)
            m2 = Meetd(workers=2, data_dir=m.data_dir,
                       env=webhook_env("http://127.0.0.1:1/other"))
            try:
                st, _, body = self.api(m2, "GET", "/config/webhooks")
                self.assertEqual(body, {"enabled": True, "url": recv.url})
            finally:
                self.assertEqual(m2.stop(), 0)
        finally:
            discard(m)
            recv.stop()

    def test_put_validation(self):
        m = Meetd(workers=2)
        try:
            U = "URL must start with http:// or https://"
            V = "Must be a valid URL"
            R = "URL is required when webhooks are enabled"
            cases = [
                ({}, [("enabled", "Required")]),
                ({"enabled": "yes"}, [("enabled", "Expected boolean, received string")]),
                ({"enabled": None}, [("enabled", "Expected boolean, received null")]),
                ({"enabled": True}, [("url", R)]),
                ({"enabled": True, "url": ""}, [("url", V), ("url", U), ("url", R)]),
                ({"enabled": True, "url": "ftp://h/x"}, [("url", U)]),
                ({"enabled": True, "url": "HTTP://h/x"}, [("url", U)]),
                ({"enabled": True, "url": "http://"}, [("url", V)]),
                ({"enabled": True, "url": "http://h:99999/"}, [("url", V)]),
                ({"enabled": False, "url": "not a url"}, [("url", V), ("url", U)]),
                ({"enabled": False, "url": 5}, [("url", "Expected string, received number")]),
                # A type error stops zod's refinement.
                ({"enabled": 1, "url": "x"}, [("enabled", "Expected boolean, received number"),
                                              ("url", V), ("url", U)]),
                ([1], [("", "Expected object, received array")]),
            ]
            for req, details in cases:
                st, _, body = self.api(m, "PUT", "/config/webhooks", req)
                self.assertEqual((st, body), (422, {
                    "error": "Unprocessable Entity", "message": "Invalid request",
                    "details": [{"field": f, "message": msg} for f, msg in details]}), req)
            for ok in ({"enabled": True, "url": "https://example.com/a?b=c#d"},
                       {"enabled": True, "url": "http://[::1]:8080/x"},
                       {"enabled": False}):
                st, _, body = self.api(m, "PUT", "/config/webhooks", ok)
                self.assertEqual((st, body), (200, ok))
            st, _, _ = self.api(m, "GET", "/config/webhooks", key=False)
            self.assertEqual(st, 401)
            st, _, _ = self.api(m, "PUT", "/config/webhooks", {"enabled": False}, key=False)
            self.assertEqual(st, 401)
            st, _, _ = m.request("GET", "/meet/api/v1/config/webhooks")
            self.assertEqual(st, 200)
        finally:
            m.cleanup()

    def test_initial_url_invalid_refuses_to_start(self):
        tmp = tempfile.mkdtemp(prefix="meetd-wh-")
        try:
            m = Meetd(workers=2, data_dir=os.path.join(tmp, "d"), wait=False,
                      env=webhook_env("ftp://example.com/hook"))
            self.assertEqual(m.proc.wait(10), 2)
            log = m.read_log()
            self.assertIn("MEET_INITIAL_WEBHOOK_URL", log)
            self.assertIn("ftp://example.com/hook", log)
            discard(m)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_initial_enabled_needs_an_initial_api_key(self):
        recv = Receiver()
        m = Meetd(workers=2, api_key=None, env=webhook_env(recv.url))
        try:
            key = None
            for line in m.stdout_lines:
                if "generated an API key" in line:
                    key = line.rsplit(" ", 1)[1]
            self.assertIsNotNone(key, m.stdout_lines)
            m.api_key = key
            st, _, body = self.api(m, "GET", "/config/webhooks")
            self.assertEqual((st, body), (200, {"enabled": False, "url": recv.url}))
            # Once enabled, events are signed with the generated key.
            self.api(m, "PUT", "/config/webhooks", {"enabled": True, "url": recv.url})
            rid = self.room(m)["roomId"]
            lk_send(m, lk_event("room_started", rid))
            reqs = recv.wait_count(1)
            self.check_request(reqs[0], key=key)
        finally:
            m.cleanup()
            recv.stop()


class DurabilityTest(Base):
    def test_kill9_while_receiver_is_down(self):
        port = free_port()
        url = "http://127.0.0.1:%d/hook" % port
        env = webhook_env(url, MEET_WEBHOOK_ATTEMPTS=100, MEET_WEBHOOK_BACKOFF_MS=50)
        m = Meetd(workers=2, env=env)
        m2 = None
        recv = None
        try:
            rids = [self.room(m, roomName="k%d" % i)["roomId"] for i in range(4)]
            for rid in rids:
                self.assertEqual(lk_send(m, lk_event("room_started", rid))[0], 200)
            for rid in rids[:2]:
                self.assertEqual(lk_send(m, lk_event("room_finished", rid))[0], 200)
            time.sleep(1.0)  # a few failed attempts each
            m.proc.kill()
            m.proc.wait()
            time.sleep(0.3)
            m2 = Meetd(workers=2, data_dir=m.data_dir, env=env)
            time.sleep(0.5)
            recv = Receiver(port=port)
            expected = {(rid, "meetingStarted") for rid in rids}
            expected |= {(rid, "meetingEnded") for rid in rids[:2]}

            def got(rs):
                seen = set()
                for r in rs:
                    ev = json.loads(r["body"])
                    seen.add((ev["data"]["roomId"], ev["event"]))
                return seen
            reqs = recv.wait_for(lambda rs: expected <= got(rs), timeout=20)
            for r in reqs:
                self.check_request(r)
            # In order per room.
            for rid in rids[:2]:
                names = [json.loads(r["body"])["event"] for r in reqs
                         if json.loads(r["body"])["data"]["roomId"] == rid]
                self.assertEqual(names[:1], ["meetingStarted"])
                self.assertEqual(names[-1], "meetingEnded")
                self.assertLess(names.index("meetingStarted"), names.index("meetingEnded"))
        finally:
            if m2:
                self.assertEqual(m2.stop(), 0)
            discard(m)
            if recv:
                recv.stop()

    def test_dead_after_the_last_attempt(self):
        recv = Receiver()
        recv.mode = "fail"
        m = Meetd(workers=2, env=webhook_env(recv.url, MEET_WEBHOOK_ATTEMPTS=3,
                                             MEET_WEBHOOK_BACKOFF_MS=50))
        try:
            rid = self.room(m)["roomId"]
            lk_send(m, lk_event("room_started", rid))
            recv.wait_count(3)
            time.sleep(1.0)
            self.assertEqual(len(recv.requests), 3)
            # The next event of the room is not held back by a dead one.
            recv.mode = "ok"
            lk_send(m, lk_event("room_finished", rid))
            reqs = recv.wait_count(4)
            self.assertEqual(json.loads(reqs[3]["body"])["event"], "meetingEnded")
            log = m.read_log()
            self.assertRegex(log, r"warn \[gateway\] webhook dead after 3 attempt\(s\): "
                                  r"seq \d+ event meetingStarted room %s" % rid)
        finally:
            m.cleanup()
            recv.stop()


class SlowReceiverTest(Base):
    def test_hanging_receiver_does_not_slow_the_api(self):
        recv = Receiver()
        recv.mode = "hang"
        m = Meetd(workers=2, env=webhook_env(recv.url, MEET_WEBHOOK_TIMEOUT_MS=20000))
        try:
            rids = [self.room(m)["roomId"] for _ in range(20)]
            for rid in rids:
                lk_send(m, lk_event("room_started", rid))
            recv.wait_count(20)
            times = []
            for _ in range(50):
                t0 = time.perf_counter()
                st, _, _ = self.api(m, "POST", "/rooms", {})
                times.append(time.perf_counter() - t0)
                self.assertEqual(st, 201)
            times.sort()
            p99 = times[int(0.99 * len(times))]
            self.assertLess(p99, 0.050, "p99 %.1f ms" % (p99 * 1000))
            # Still hanging: nothing was retried or duplicated meanwhile.
            self.assertEqual(len(recv.requests), 20)
            # Shutdown does not wait for the receiver beyond a short grace.
            t0 = time.time()
            self.assertEqual(m.stop(), 0)
            self.assertLess(time.time() - t0, 5)
            with open(m.log_path) as f:
                self.assertIn("cancelled by shutdown; it stays pending", f.read())
        finally:
            recv.released.set()
            discard(m)
            recv.stop()


if __name__ == "__main__":
    harness.main()
