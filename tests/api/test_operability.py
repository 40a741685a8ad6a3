"""Integration tests of operability: GET /metrics (Prometheus text format,
counters by route template, histograms, shard gauges, bearer token),
X-Request-Id on every response, the per-request log line in logfmt and
JSON (without secrets), and CORS."""

import json
import re
import time
import unittest

import harness
from harness import Meetd

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
HEX16 = re.compile(r'^[0-9a-f]{16}$')


def parse_metrics(text):
    """Returns {(name, frozenset(labels)): float}, checking every line."""
    out = {}
    typed = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "bad exposition line: %r" % line
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        name = m.group(1)
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        assert name in typed or base in typed, "no TYPE for " + name
        out[(name, labels)] = float(m.group(4))
    return out


def sample(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


def wait_log(m, needle, timeout=3.0):
    """The log line is written once the response is out: poll for it."""
    deadline = time.time() + timeout
    while True:
        log = m.read_log()
        if needle in log or time.time() > deadline:
            return log
        time.sleep(0.05)


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=2)

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def scrape(self, path="/metrics"):
        st, h, text = self.m.request("GET", path, key=False)
        self.assertEqual(st, 200, text)
        self.assertEqual(h["content-type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        return text, parse_metrics(text)

    def test_format_and_gauges(self):
        text, mt = self.scrape()
        self.assertIn("# HELP meetd_http_requests_total ", text)
        self.assertIn("# TYPE meetd_http_requests_total counter\n", text)
        self.assertIn("# TYPE meetd_http_request_duration_seconds histogram",
                      text)
        self.assertIn("# TYPE meetd_shard_rtt_seconds histogram", text)
        for s in ("0", "1"):
            self.assertEqual(sample(mt, "meetd_shard_up", shard=s), 1)
            self.assertIn(("meetd_shard_inflight", frozenset({("shard", s)})),
                          mt)
            self.assertIn(("meetd_shard_restarts_total",
                           frozenset({("shard", s)})), mt)
            self.assertIn(("meetd_shard_rtt_seconds_bucket",
                           frozenset({("shard", s), ("le", "+Inf")})), mt)
        self.assertGreaterEqual(sample(mt, "meetd_http_connections"), 1)
        self.assertGreaterEqual(sample(mt, "meetd_http_requests_in_flight"),
                                1)
        for name in ("meetd_webhooks_delivered_total",
                     "meetd_webhooks_failed_attempts_total",
                     "meetd_webhooks_dead", "meetd_webhooks_backlog",
                     "meetd_webhooks_in_flight", "meetd_egress_processes"):
            self.assertIn((name, frozenset()), mt, name)
        # Also under the base path; no API key needed.
        self.scrape("/meet/metrics")

    def test_counters_and_histograms_move(self):
        _, before = self.scrape()
        st, _, room = self.m.request("POST", "/api/v1/rooms",
                                     {"roomName": "ops"})
        self.assertEqual(st, 201, room)
        rid = room["roomId"]
        for _ in range(2):
            st, _, _ = self.m.request("GET", "/api/v1/rooms/" + rid)
            self.assertEqual(st, 200)
        st, _, _ = self.m.request("GET", "/meet/api/v1/rooms/nosuchroom")
        self.assertEqual(st, 404)
        st, _, _ = self.m.request("GET", "/api/v1/rooms/" + rid, key=False)
        self.assertEqual(st, 401)
        st, _, _ = self.m.request("GET", "/no/such/path")
        self.assertEqual(st, 404)
        text, after = self.scrape()

        def delta(name, **labels):
            return sample(after, name, **labels) - sample(before, name,
                                                          **labels)

        req = "meetd_http_requests_total"
        self.assertEqual(delta(req, route="/rooms", method="POST",
                               status="201"), 1)
        self.assertEqual(delta(req, route="/rooms/:roomId", method="GET",
                               status="200"), 2)
        self.assertEqual(delta(req, route="/rooms/:roomId", method="GET",
                               status="404"), 1)
        self.assertEqual(delta(req, route="/rooms/:roomId", method="GET",
                               status="401"), 1)
        self.assertEqual(delta(req, route="unmatched", method="GET",
                               status="404"), 1)
        dur = "meetd_http_request_duration_seconds"
        self.assertEqual(delta(dur + "_count", route="/rooms/:roomId"), 4)
        self.assertEqual(delta(dur + "_bucket", route="/rooms/:roomId",
                               le="+Inf"), 4)
        self.assertGreater(delta(dur + "_sum", route="/rooms/:roomId"), 0)
        # Buckets are cumulative and end at _count.
        les = sorted(((float(dict(k[1])["le"]), v) for k, v in after.items()
                      if k[0] == dur + "_bucket"
                      and dict(k[1])["route"] == "/rooms/:roomId"))
        counts = [v for _, v in les]
        self.assertEqual(counts, sorted(counts))
        self.assertEqual(counts[-1],
                         sample(after, dur + "_count", route="/rooms/:roomId"))
        rtt = sum(sample(after, "meetd_shard_rtt_seconds_count", shard=s)
                  - sample(before, "meetd_shard_rtt_seconds_count", shard=s)
                  for s in ("0", "1"))
        self.assertGreaterEqual(rtt, 4)
        # Raw paths never become labels.
        self.assertNotIn(rid, text)
        self.assertNotIn("nosuchroom", text)
        self.assertNotIn("/no/such/path", text)

    def test_request_id_echo_and_generation(self):
        st, h, _ = self.m.request("GET", "/health", key=False,
                                  headers={"X-Request-Id": "abc.DEF_1:2-3"})
        self.assertEqual(st, 200)
        self.assertEqual(h["x-request-id"], "abc.DEF_1:2-3")
        st, h, _ = self.m.request("GET", "/api/v1/rooms/none",
                                  headers={"X-Request-Id": "err-id-1"})
        self.assertEqual(st, 404)
        self.assertEqual(h["x-request-id"], "err-id-1")
        ids = set()
        for bad in (None, "has space", "x" * 129, "semi;colon"):
            hdrs = {"X-Request-Id": bad} if bad else None
            st, h, _ = self.m.request("GET", "/nope", headers=hdrs)
            self.assertEqual(st, 404)
            self.assertRegex(h["x-request-id"], HEX16)
            ids.add(h["x-request-id"])
        self.assertEqual(len(ids), 4)
        st, h, _ = self.m.request("GET", "/health", key=False,
                                  headers={"X-Request-Id": "y" * 128})
        self.assertEqual(h["x-request-id"], "y" * 128)

    def test_request_id_on_http_layer_errors(self):
        big = (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: big-1\r\n"
               + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n")
        got = self.m.raw(big)
        self.assertEqual(got[0][0], 431)
        self.assertRegex(got[0][1]["x-request-id"], HEX16)
        got = self.m.raw(b"GET /health HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: zz\r\n\r\n")
        self.assertEqual(got[0][0], 400)
        self.assertRegex(got[0][1]["x-request-id"], HEX16)
        # A complete request answered 413 still echoes the client's id.
        got = self.m.raw(b"POST /api/v1/rooms HTTP/1.1\r\nHost: x\r\n"
                         b"X-Request-Id: too-big\r\n"
                         b"Content-Length: 99999999\r\n\r\n")
        self.assertEqual(got[0][0], 413)
        self.assertEqual(got[0][1]["x-request-id"], "too-big")

    def test_log_line_and_no_secrets(self):
        rid = "log-check-1"
        st, _, _ = self.m.request(
            "GET", "/api/v1/recordings/r1--EG_x--abc?secret=TOPSECRET99",
            key=False, headers={"X-Request-Id": rid,
                                "Authorization": "Bearer AUTHSECRET77"})
        self.assertIn(st, (400, 401, 403, 404))
        st, _, _ = self.m.request("GET", "/api/v1/rooms?x=1",
                                  headers={"X-Request-Id": rid + "b"})
        self.assertEqual(st, 200)
        log = wait_log(self.m, "request_id=%sb " % rid)
        line = [l for l in log.splitlines()
                if "request_id=%sb " % rid in l]
        self.assertEqual(len(line), 1, log[-3000:])
        fields = dict(kv.split("=", 1)
                      for kv in line[0].split(" [gateway] ", 1)[1].split())
        self.assertEqual(fields["msg"], "request")
        self.assertEqual(fields["method"], "GET")
        self.assertEqual(fields["route"], "/rooms")
        self.assertEqual(fields["status"], "200")
        self.assertEqual(fields["shard"], "-")
        self.assertGreater(int(fields["bytes"]), 0)
        float(fields["duration_ms"])
        self.assertRegex(fields["time"], r"^\d{4}-\d\d-\d\dT")
        first = [l for l in log.splitlines() if "request_id=%s " % rid in l]
        self.assertEqual(len(first), 1)
        self.assertIn("route=/recordings/:recordingId", first[0])
        for secret in (harness.API_KEY, "TOPSECRET99", "AUTHSECRET77"):
            self.assertNotIn(secret, log)

    def test_log_shard_of_room_routes(self):
        st, _, room = self.m.request("POST", "/api/v1/rooms",
                                     {"roomName": "shardlog"})
        self.assertEqual(st, 201)
        st, _, _ = self.m.request("GET", "/api/v1/rooms/" + room["roomId"],
                                  headers={"X-Request-Id": "shard-log-1"})
        self.assertEqual(st, 200)
        log = wait_log(self.m, "request_id=shard-log-1 ")
        line = [l for l in log.splitlines()
                if "request_id=shard-log-1 " in l][0]
        self.assertRegex(line, r" shard=[01] ")
        self.assertIn(" route=/rooms/:roomId ", line)

    def test_cors_simple_request(self):
        st, h, _ = self.m.request("GET", "/api/v1/rooms",
                                  headers={"Origin": "http://a.example"})
        self.assertEqual(st, 200)
        # The default origin "*" is sent as "*", as the cors package does.
        self.assertEqual(h["access-control-allow-origin"], "*")
        self.assertEqual(h["access-control-allow-credentials"], "true")
        # Errors carry it too.
        st, h, _ = self.m.request("GET", "/api/v1/rooms", key=False,
                                  headers={"Origin": "http://b.example"})
        self.assertEqual(st, 401)
        self.assertEqual(h["access-control-allow-origin"], "*")
        st, h, _ = self.m.request("GET", "/api/v1/rooms")
        self.assertNotIn("access-control-allow-origin", h)

    def test_cors_preflight(self):
        for path in ("/api/v1/rooms", "/anything/at/all"):
            st, h, body = self.m.request(
                "OPTIONS", path, key=False,
                headers={"Origin": "http://a.example",
                         "Access-Control-Request-Method": "POST",
                         "Access-Control-Request-Headers":
                             "content-type,x-api-key"})
            self.assertEqual(st, 204, body)
            self.assertEqual(h["access-control-allow-origin"], "*")
            self.assertEqual(h["access-control-allow-credentials"], "true")
            self.assertEqual(h["access-control-allow-methods"],
                             "GET,HEAD,PUT,PATCH,POST,DELETE")
            self.assertEqual(h["access-control-allow-headers"],
                             "content-type,x-api-key")
            self.assertEqual(h["content-length"], "0")
            self.assertIn("x-request-id", h)
            self.assertEqual(body, "")


class ConfiguredTest(unittest.TestCase):
    """JSON log format, a metrics token and a fixed CORS origin."""

    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=1, env={
            "MEET_LOG_FORMAT": "json",
            "MEET_METRICS_TOKEN": "metrics-tok-42",
            "SERVER_CORS_ORIGIN": "https://app.example",
        })

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def test_metrics_token(self):
        for hdrs in (None, {"Authorization": "Bearer wrong"},
                     {"Authorization": "metrics-tok-42"}):
            st, h, body = self.m.request("GET", "/metrics", key=False,
                                         headers=hdrs)
            self.assertEqual(st, 401)
            self.assertTrue(h["content-type"].startswith("application/json"))
            self.assertEqual(body["error"], "Unauthorized")
            self.assertIn("x-request-id", h)
        # The API key is not a metrics token.
        st, _, _ = self.m.request("GET", "/metrics")
        self.assertEqual(st, 401)
        st, h, text = self.m.request(
            "GET", "/metrics", key=False,
            headers={"Authorization": "Bearer metrics-tok-42"})
        self.assertEqual(st, 200)
        parse_metrics(text)
        self.assertIn('meetd_shard_up{shard="0"} 1', text)
        self.assertNotIn("metrics-tok-42", self.m.read_log())

    def test_json_log_line(self):
        st, _, _ = self.m.request("GET", "/api/v1/rooms",
                                  headers={"X-Request-Id": "json-log-1"})
        self.assertEqual(st, 200)
        log = wait_log(self.m, '"request_id":"json-log-1"')
        lines = [l for l in log.splitlines() if '"json-log-1"' in l]
        self.assertEqual(len(lines), 1, log[-3000:])
        rec = json.loads(lines[0][lines[0].index("{"):])
        self.assertEqual(rec["msg"], "request")
        self.assertEqual(rec["request_id"], "json-log-1")
        self.assertEqual(rec["method"], "GET")
        self.assertEqual(rec["route"], "/rooms")
        self.assertEqual(rec["status"], 200)
        # This meetd has one shard: the page came from shard 0.
        self.assertEqual(rec["shard"], "0")
        self.assertIsInstance(rec["duration_ms"], float)
        self.assertGreater(rec["bytes"], 0)
        self.assertNotIn(harness.API_KEY, log)

    def test_configured_cors_origin(self):
        st, h, _ = self.m.request("GET", "/api/v1/rooms",
                                  headers={"Origin": "http://evil.example"})
        self.assertEqual(st, 200)
        self.assertEqual(h["access-control-allow-origin"],
                         "https://app.example")
        self.assertEqual(h["access-control-allow-credentials"], "true")


class ConfigValidationTest(unittest.TestCase):
    def test_invalid_settings_refused(self):
        for env in ({"MEET_LOG_FORMAT": "text"},
                    {"SERVER_CORS_ORIGIN": ""},
                    {"MEET_METRICS_TOKEN": "a b"}):
            m = Meetd(workers=1, env=env, wait=False)
            try:
                rc = m.proc.wait(15)
                self.assertNotEqual(rc, 0, env)
            finally:
                m.cleanup()


class TraceTest(unittest.TestCase):
    """The request id reaches the worker's log lines and the request log
    names the shard a request reached."""

    def test_worker_lines_carry_the_request_id(self):
        with Meetd(workers=2, env={"MEET_LOG_LEVEL": "debug"}) as m:
            st, _, room = m.request("POST", "/api/v1/rooms", body={},
                                    headers={"X-Request-Id": "trace-me-1"})
            self.assertEqual(st, 201)
            wait_log(m, "req=trace-me-1 room_create")
            log = wait_log(m, "request_id=trace-me-1")
            lines = [l for l in log.splitlines() if "req=trace-me-1" in l]
            self.assertTrue(any("[shard-" in l and "room_create" in l
                                for l in lines), log[-3000:])
            req_line = [l for l in log.splitlines()
                        if "request_id=trace-me-1" in l]
            self.assertEqual(len(req_line), 1, log[-3000:])
            shard = int(re.search(r"shard=(\d+)", req_line[0]).group(1))
            self.assertIn("[shard-%d] req=trace-me-1" % shard, log)
            # A fan-out (GET /rooms on 2 shards) names no single shard.
            m.request("GET", "/api/v1/rooms", headers={"X-Request-Id": "fan-1"})
            log = wait_log(m, "request_id=fan-1")
            line = [l for l in log.splitlines() if "request_id=fan-1" in l][0]
            self.assertIn("shard=-", line)


if __name__ == "__main__":
    harness.main()
