"""Integration tests of the gateway: routing, errors, limits, pipelining,
health, configuration, data directory, shutdown."""

import json
import os
import signal
import socket
import stat
import subprocess
import time
import unittest

import harness
from harness import Meetd


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=3)

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def test_unknown_api_path_is_404_json(self):
        for path in ("/api/v1/nope", "/meet/api/v1/nope", "/api/v1/",
                     "/MEET/API/V1/rooms/x/y/z"):
            st, h, body = self.m.request("GET", path)
            self.assertEqual(st, 404, path)
            self.assertTrue(h["content-type"].startswith("application/json"))
            self.assertEqual(body, {"error": "Path Not Found",
                                    "message": "API path not implemented"})

    def test_health_reports_every_worker(self):
        st, h, body = self.m.request("GET", "/health", key=False)
        self.assertEqual(st, 200)
        self.assertEqual(body["status"], "ok")
        self.assertEqual([w["shard"] for w in body["workers"]], [0, 1, 2])
        for w in body["workers"]:
            self.assertEqual(w["state"], "ready")
            self.assertGreater(w["pid"], 0)
        st2, _, body2 = self.m.request("GET", "/meet/health", key=False)
        self.assertEqual(st2, 200)
        self.assertEqual(len(body2["workers"]), 3)

    def test_keepalive_and_pipelining_in_order(self):
        reqs = (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /api/v1/a HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = self.m.raw(reqs, expect=3)
        self.assertEqual([g[0] for g in got], [200, 404, 200])
        self.assertEqual(got[2][1].get("connection"), "close")
        self.assertIn(b'"workers"', got[0][2])

    def test_url_too_long_is_414(self):
        got = self.m.raw(b"GET /api/v1/" + b"a" * 20000 + b" HTTP/1.1\r\n"
                         b"Host: x\r\n\r\n")
        self.assertEqual(got[0][0], 414)
        self.assertEqual(json.loads(got[0][2])["error"], "URI Too Long")

    def test_header_section_too_large_is_431(self):
        got = self.m.raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " +
                         b"b" * 40000 + b"\r\n\r\n")
        self.assertEqual(got[0][0], 431)
        hdrs = b"".join(b"X-H%d: v\r\n" % i for i in range(500))
        got = self.m.raw(b"GET /health HTTP/1.1\r\nHost: x\r\n" + hdrs +
                         b"\r\n")
        self.assertEqual(got[0][0], 431)

    def test_body_too_large_is_413(self):
        got = self.m.raw(b"POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: 2000000\r\n\r\n")
        self.assertEqual(got[0][0], 413)
        self.assertEqual(json.loads(got[0][2])["error"], "Payload Too Large")

    def test_malformed_request_is_400_and_closes(self):
        got = self.m.raw(b"GARBAGE\r\n\r\n")
        self.assertEqual(got[0][0], 400)
        self.assertEqual(json.loads(got[0][2]),
                         {"error": "Bad Request",
                          "message": "Malformed request"})
        # Smuggling attempts: both Content-Length and Transfer-Encoding.
        got = self.m.raw(b"POST /api/v1/x HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 4\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertEqual(got[0][0], 400)
        got = self.m.raw(b"POST /api/v1/x HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcd")
        self.assertEqual(got[0][0], 400)

    def test_chunked_body_and_expect_continue(self):
        s = socket.create_connection(("127.0.0.1", self.m.port), timeout=5)
        try:
            s.sendall(b"POST /api/v1/nope HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            first = s.recv(100)
            self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"))
            s.sendall(b"{}")
            got = harness.recv_responses(s, 5, expect=1)
            self.assertEqual(got[0][0], 404)
        finally:
            s.close()
        got = self.m.raw(b"POST /api/v1/nope HTTP/1.1\r\nHost: x\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n"
                         b"2\r\n{}\r\n0\r\n\r\n"
                         b"GET /health HTTP/1.1\r\nHost: x\r\n"
                         b"Connection: close\r\n\r\n", expect=2)
        self.assertEqual([g[0] for g in got], [404, 200])

    def test_data_directory_is_private(self):
        st = os.stat(self.m.data_dir)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        names = os.listdir(self.m.data_dir)
        self.assertIn("meetd.conf", names)
        self.assertIn("system.db", names)
        for n in names:
            mode = stat.S_IMODE(os.stat(os.path.join(self.m.data_dir, n)).st_mode)
            self.assertEqual(mode & 0o077, 0, n)


class WorkerFaultTest(unittest.TestCase):
    def test_killed_worker_is_restarted_and_others_keep_serving(self):
        with Meetd(workers=3) as m:
            pids = m.worker_pids()
            os.kill(pids[1], signal.SIGKILL)
            t0 = time.time()
            seen_down = False
            recovered = None
            while time.time() - t0 < 5:
                st, _, body = m.request("GET", "/health", key=False)
                states = {w["shard"]: w for w in body["workers"]}
                # The other shards keep answering throughout.
                self.assertEqual(states[0]["state"], "ready")
                self.assertEqual(states[2]["state"], "ready")
                if st == 503:
                    seen_down = True
                    self.assertNotEqual(states[1]["state"], "ready")
                elif st == 200 and states[1]["pid"] != pids[1]:
                    recovered = time.time() - t0
                    self.assertEqual(states[1]["restarts"], 1)
                    break
                time.sleep(0.01)
            self.assertIsNotNone(recovered, "shard 1 did not come back")
            self.assertLess(recovered, 1.0)
            del seen_down  # it may restart before the first poll

    def test_inflight_requests_get_503_when_worker_dies(self):
        with Meetd(workers=2) as m:
            pids = m.worker_pids()
            os.kill(pids[1], signal.SIGSTOP)
            try:
                s = socket.create_connection(("127.0.0.1", m.port), timeout=5)
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                time.sleep(0.2)
                t0 = time.time()
                os.kill(pids[1], signal.SIGKILL)
                got = harness.recv_responses(s, 5, expect=1)
                s.close()
                self.assertLess(time.time() - t0, 1.0)
                self.assertEqual(got[0][0], 503)
                body = json.loads(got[0][2])
                self.assertEqual(body["status"], "unavailable")
                self.assertEqual(body["workers"][0]["state"], "ready")
                self.assertNotEqual(body["workers"][1]["state"], "ready")
            finally:
                try:
                    os.kill(pids[1], signal.SIGCONT)
                except ProcessLookupError:
                    pass

    def test_unresponsive_worker_is_reported_then_replaced(self):
        with Meetd(workers=2, env={"MEET_IPC_TIMEOUT_MS": "500"}) as m:
            pids = m.worker_pids()
            os.kill(pids[0], signal.SIGSTOP)
            t0 = time.time()
            st, _, body = m.request("GET", "/health", key=False)
            self.assertEqual(st, 503)
            self.assertLess(time.time() - t0, 1.5)
            # The silent worker is killed after the IPC timeout and comes
            # back as a new process.
            deadline = time.time() + 5
            while time.time() < deadline:
                st, _, body = m.request("GET", "/health", key=False)
                if st == 200 and body["workers"][0]["pid"] != pids[0]:
                    break
                time.sleep(0.05)
            self.assertEqual(st, 200)
            self.assertNotEqual(body["workers"][0]["pid"], pids[0])

    def test_workers_are_sandboxed(self):
        with Meetd(workers=2) as m:
            for shard, pid in m.worker_pids().items():
                with open("/proc/%d/status" % pid) as f:
                    status = dict(line.split(":", 1) for line in f)
                self.assertEqual(status["Seccomp"].strip(), "2", shard)
                self.assertEqual(status["NoNewPrivs"].strip(), "1", shard)
                if os.geteuid() == 0:
                    uids = status["Uid"].split()
                    self.assertTrue(all(u == "65534" for u in uids), uids)
                # The worker has exactly one socket: its IPC channel.
                socks = [fd for fd in os.listdir("/proc/%d/fd" % pid)
                         if os.readlink("/proc/%d/fd/%s" % (pid, fd))
                         .startswith("socket:")]
                self.assertEqual(len(socks), 1, shard)


class LifecycleTest(unittest.TestCase):
    def test_sigterm_drains_and_exits_zero(self):
        m = Meetd(workers=2)
        try:
            pids = m.worker_pids()
            os.kill(pids[1], signal.SIGSTOP)
            s = socket.create_connection(("127.0.0.1", m.port), timeout=5)
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.1)
            m.signal(signal.SIGTERM)
            # The request in flight is still answered (the health check
            # gives up on the stopped shard after one second).
            got = harness.recv_responses(s, 5, expect=1)
            s.close()
            self.assertEqual(got[0][0], 503)
            os.kill(pids[1], signal.SIGCONT)
            self.assertEqual(m.proc.wait(15), 0)
            # New connections are refused once it has stopped.
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", m.port), timeout=1)
            for pid in pids.values():
                self.assertFalse(os.path.exists("/proc/%d" % pid))
        finally:
            m.cleanup()

    def test_generated_api_key_is_printed_once_and_kept(self):
        m = Meetd(workers=2, api_key=None)
        try:
            lines = m.stdout_lines + m.read_stdout_rest().splitlines()
            keys = [l.split(": ")[-1] for l in lines if "generated an API key" in l]
            self.assertEqual(len(keys), 1)
            self.assertRegex(keys[0], r"^ovmeet-[0-9a-f]{32}$")
            self.assertEqual(m.stop(), 0)
            m2 = Meetd(workers=2, api_key=None, data_dir=m.data_dir)
            lines2 = m2.stdout_lines + m2.read_stdout_rest().splitlines()
            self.assertFalse(any("generated an API key" in l for l in lines2))
            m2.stop()
        finally:
            m.cleanup()

    def test_shard_count_is_fixed_at_creation(self):
        m = Meetd(workers=3)
        try:
            self.assertEqual(m.stop(), 0)
            m2 = Meetd(workers=2, data_dir=m.data_dir)
            self.assertEqual(len(m2.worker_pids()), 3)
            m2.stop()
        finally:
            m.cleanup()


class ConfigTest(unittest.TestCase):
    def run_meetd(self, args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([os.path.join(harness.BIN_DIR, "meetd")] + args,
                              env=e, capture_output=True, text=True,
                              timeout=20)

    def test_help_lists_every_setting(self):
        r = self.run_meetd(["--help"])
        self.assertEqual(r.returncode, 0)
        for name in ("SERVER_PORT", "MEET_BASE_URL", "MEET_BASE_PATH",
                     "MEET_INITIAL_API_KEY", "MEET_DATA_DIR", "MEET_WORKERS",
                     "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET",
                     "MEET_MAX_BODY_SIZE"):
            self.assertIn(name, r.stdout)

    def test_invalid_values_fail_at_start(self):
        cases = [(["--port", "70000"], {}, "port"),
                 ([], {"SERVER_PORT": "abc"}, "SERVER_PORT"),
                 ([], {"MEET_WORKERS": "-1"}, "MEET_WORKERS"),
                 ([], {"MEET_BASE_URL": "ftp://x"}, "MEET_BASE_URL"),
                 ([], {"MEET_MAX_BODY_SIZE": "12q"}, "MEET_MAX_BODY_SIZE"),
                 (["--no-such-flag"], {}, "unknown option")]
        for args, env, needle in cases:
            r = self.run_meetd(args + ["--check-config"], env)
            self.assertEqual(r.returncode, 2, (args, env, r.stderr))
            self.assertIn(needle, r.stderr)
        r = self.run_meetd(["--check-config", "--port", "8080"])
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    harness.main()
