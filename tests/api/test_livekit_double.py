"""The fake LiveKit server (tests/livekit_double) behaves like LiveKit.

Checked here, against tokens, signatures and hashes recomputed with hmac
and hashlib (not with the double's code): Twirp authentication (plain-text
401 for a bad token, JSON "permissions denied" for a missing grant), Twirp
routing errors, the reply shapes (snake_case with defaults; the camel
knob), LiveKit's 404/412/400 errors, the webhooks of an egress's life in
order with valid signatures, the webhook fault knobs (a receiver here
rejects what LiveKit's verifier would reject), room close ordering, room
timeouts, the media file (and its duration by ffprobe when ffmpeg is
installed), and the command-line mode with its /_fake control endpoints.

Runs without meetd: `python3 test_livekit_double.py -v` (ctest adds
--bin-dir, which is accepted and unused).
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLE_DIR = os.path.join(HERE, "..", "livekit_double")
sys.path.insert(0, DOUBLE_DIR)

import livekit_double as lkd  # noqa: E402

KEY, SECRET = "devkey", "secret"
HAVE_FFMPEG = bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def api_token(video, iss=KEY, secret=SECRET, exp=None, nbf=0, alg="HS256",
              header=None):
    """A server-API token as livekit-server-sdk mints it (LIVEKIT.md 3.1):
    header {"alg":"HS256"}, {"video":…,"iss":…,"exp":now+600,"nbf":0}."""
    claims = {"video": video, "iss": iss,
              "exp": int(time.time()) + 600 if exp is None else exp,
              "nbf": nbf}
    h = b64url(json.dumps(header or {"alg": alg}).encode())
    p = b64url(json.dumps(claims).encode())
    if alg == "none":
        return h + "." + p + "."
    sig = hmac.new(secret.encode(), (h + "." + p).encode(),
                   hashlib.sha256).digest()
    return h + "." + p + "." + b64url(sig)


GRANT = {"CreateRoom": {"roomCreate": True}, "DeleteRoom": {"roomCreate": True},
         "ListRooms": {"roomList": True}}
EGRESS_METHODS = ("StartRoomCompositeEgress", "ListEgress", "StopEgress")


def grant_for(method, body):
    if method in GRANT:
        return GRANT[method]
    if method in EGRESS_METHODS:
        return {"roomRecord": True}
    return {"roomAdmin": True, "room": body.get("room", "")}


class Reply:
    def __init__(self, status, ctype, raw):
        self.status, self.ctype, self.raw = status, ctype, raw
        self.text = raw.decode(errors="replace")
        try:
            self.json = json.loads(raw) if "json" in ctype else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s %s>" % (self.status, self.ctype, self.text[:300])


def twirp(d, method, body=None, token=None, video=None, ctype=None,
          http_method="POST", raw=None, service=None, auth=None):
    """One Twirp call to the double, as livekit-server-sdk sends it."""
    if service is None:
        service = "Egress" if method in EGRESS_METHODS else "RoomService"
    body = {} if body is None else body
    if raw is None:
        raw = json.dumps(body).encode()
    if token is None:
        token = api_token(grant_for(method, body) if video is None
                          else video)
    h = {"Content-Type": "application/json;charset=UTF-8"
         if ctype is None else ctype}
    if auth is not None:
        h["Authorization"] = auth
    elif token != "":
        h["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request(http_method, "/twirp/livekit.%s/%s" % (service, method),
                     body=raw if http_method == "POST" else None, headers=h)
        r = conn.getresponse()
        return Reply(r.status, r.getheader("Content-Type") or "", r.read())
    finally:
        conn.close()


class Receiver:
    """Webhook receiver on loopback. Verifies every request the way
    LiveKit's WebhookReceiver does (LIVEKIT.md 1.3) and records
    {"headers","body","why" (None when valid),"event"}. `script` lists the
    statuses of the next answers, then 200."""

    def __init__(self):
        self.requests = []
        self.cond = threading.Condition()
        self.script = []
        recv = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get(
                    "Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                rec = {"path": self.path, "headers": headers, "body": body,
                       "why": recv.verify(headers, body), "t": time.time()}
                try:
                    rec["event"] = json.loads(body)
                except ValueError:
                    rec["event"] = None
                with recv.cond:
                    status = recv.script.pop(0) if recv.script else 200
                    rec["answered"] = status
                    recv.requests.append(rec)
                    recv.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/livekit/webhook" % self.port
        threading.Thread(target=self.server.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True).start()

    @staticmethod
    def verify(headers, body, now=None):
        now = time.time() if now is None else now
        if headers.get("content-type") != "application/webhook+json":
            return "content type %r" % headers.get("content-type")
        auth = headers.get("authorization", "")
        if not auth:
            return "authorization header is empty"
        if auth.startswith("Bearer "):
            return "bearer prefix"
        parts = auth.split(".")
        if len(parts) != 3:
            return "not a compact JWS"
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except ValueError:
            return "undecodable JWT"
        if header != {"alg": "HS256", "typ": "JWT"}:
            return "header %r" % header
        want = hmac.new(SECRET.encode(), (parts[0] + "." + parts[1]).encode(),
                        hashlib.sha256).digest()
        if not hmac.compare_digest(want, sig):
            return "signature"
        if sorted(claims) != ["exp", "iss", "nbf", "sha256"]:
            return "claims %r" % sorted(claims)
        if claims["iss"] != KEY:
            return "iss"
        if now > claims["exp"] + 10 or now < claims["nbf"] - 10:
            return "time"
        if claims["sha256"] != base64.b64encode(
                hashlib.sha256(body).digest()).decode():
            return "sha256"
        return None

    def wait(self, pred, timeout=8.0):
        with self.cond:
            ok = self.cond.wait_for(lambda: pred(self.requests), timeout)
            return ok

    def events(self, name=None):
        with self.cond:
            return [r["event"] for r in self.requests
                    if r["event"] and (name is None
                                       or r["event"].get("event") == name)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Base(unittest.TestCase):
    active_delay_ms = 100
    ffmpeg = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lk-double-test-")
        self.recv = Receiver()
        self.d = lkd.LiveKitDouble(api_key=KEY, api_secret=SECRET,
                                   webhook_url=self.recv.url,
                                   egress_dir=self.tmp, ffmpeg=self.ffmpeg,
                                   active_delay_ms=self.active_delay_ms)
        self.d.start()

    def tearDown(self):
        self.d.stop()
        self.recv.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # helpers

    def create_room(self, name="room1", **extra):
        body = {"name": name, "emptyTimeout": 20, "departureTimeout": 20,
                "metadata": json.dumps({"createdBy": "openviduMeet",
                                        "roomOptions": {"roomName": "R"}})}
        body.update(extra)
        r = twirp(self.d, "CreateRoom", body)
        self.assertEqual(r.status, 200, r)
        return r.json

    def start_egress(self, room="room1", uid="0a1b2c3d4e"):
        fp = "openvidu-meet/recordings/%s/%s--%s" % (room, room, uid)
        body = {"roomName": room, "layout": "grid",
                "file": {"filepath": fp, "disableManifest": True},
                "preset": "H264_720P_30",
                "fileOutputs": [{"filepath": fp, "disableManifest": True}]}
        r = twirp(self.d, "StartRoomCompositeEgress", body)
        self.assertEqual(r.status, 200, r)
        return r.json, fp

    def egress_id(self, reply):
        return reply.get("egress_id") or reply.get("egressId")

    def wait_status(self, egress_id, status, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for e in self.d.egresses():
                if e["egressId"] == egress_id and \
                        e.get("status", "EGRESS_STARTING") == status:
                    return e
            time.sleep(0.02)
        self.fail("egress %s never reached %s: %r"
                  % (egress_id, status, self.d.egresses()))

    def recording(self, room="room1"):
        """A room with a participant and an ACTIVE egress."""
        self.create_room(room)
        self.d.join(room, "ana-0123", name="Ana")
        info, fp = self.start_egress(room)
        eid = self.egress_id(info)
        self.wait_status(eid, "EGRESS_ACTIVE")
        return eid, fp


class AuthTest(Base):
    def assertPlain401(self, r, text):
        self.assertEqual(r.status, 401, r)
        self.assertTrue(r.ctype.startswith("text/plain"), r)
        self.assertIn(text, r.text)
        with self.assertRaises(ValueError):
            json.loads(r.text)

    def assertDenied(self, r):
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.ctype, "application/json")
        self.assertEqual(r.json, {"code": "unauthenticated",
                                  "msg": "permissions denied"})

    def test_garbage_token_is_plain_401(self):
        self.assertPlain401(twirp(self.d, "ListRooms", token="garbage"),
                            "invalid authorization token")
        self.assertPlain401(twirp(self.d, "ListRooms", token="a.b.c"),
                            "invalid authorization token")

    def test_missing_bearer_prefix_is_plain_401(self):
        tok = api_token({"roomList": True})
        self.assertPlain401(twirp(self.d, "ListRooms", auth=tok),
                            "Must start with Bearer")

    def test_wrong_signature_is_plain_401(self):
        tok = api_token({"roomList": True}, secret="not-the-secret")
        self.assertPlain401(twirp(self.d, "ListRooms", token=tok),
                            "invalid token")

    def test_wrong_iss_is_plain_401(self):
        tok = api_token({"roomList": True}, iss="otherkey")
        self.assertPlain401(twirp(self.d, "ListRooms", token=tok),
                            "invalid API key: otherkey")

    def test_expired_and_not_yet_valid_are_plain_401(self):
        now = int(time.time())
        tok = api_token({"roomList": True}, exp=now - 3600)
        self.assertPlain401(twirp(self.d, "ListRooms", token=tok), "expired")
        tok = api_token({"roomList": True}, nbf=now + 3600)
        self.assertPlain401(twirp(self.d, "ListRooms", token=tok),
                            "not valid yet")
        # within LiveKit's 60 s leeway: accepted
        tok = api_token({"roomList": True}, exp=now - 5)
        self.assertEqual(twirp(self.d, "ListRooms", token=tok).status, 200)

    def test_unsigned_token_is_plain_401(self):
        tok = api_token({"roomList": True}, alg="none")
        self.assertPlain401(twirp(self.d, "ListRooms", token=tok),
                            "invalid authorization token")

    def test_missing_grant_is_permissions_denied(self):
        self.assertDenied(twirp(self.d, "ListRooms",
                                video={"roomCreate": True}))
        self.assertDenied(twirp(self.d, "CreateRoom", {"name": "x"},
                                video={"roomList": True}))
        self.assertDenied(twirp(self.d, "DeleteRoom", {"room": "x"},
                                video={"roomAdmin": True, "room": "x"}))
        self.assertDenied(twirp(self.d, "StartRoomCompositeEgress",
                                {"roomName": "x"}, video={"roomAdmin": True}))
        self.assertDenied(twirp(self.d, "ListEgress", {},
                                video={"roomCreate": True}))
        self.assertDenied(twirp(self.d, "SendData", {"room": "x"},
                                video={"roomCreate": True}))
        # no Authorization header at all: the middleware lets it through
        # without grants, the method denies it
        self.assertDenied(twirp(self.d, "ListRooms", token=""))
        self.assertEqual(self.d.rooms(), [])

    def test_room_admin_must_name_the_room(self):
        self.create_room("a")
        self.d.join("a", "ana")
        for method, body in (("ListParticipants", {"room": "a"}),
                             ("GetParticipant", {"room": "a",
                                                 "identity": "ana"}),
                             ("RemoveParticipant", {"room": "a",
                                                    "identity": "ana"}),
                             ("UpdateParticipant", {"room": "a",
                                                    "identity": "ana",
                                                    "metadata": "x"}),
                             ("SendData", {"room": "a", "data": "eA=="})):
            self.assertDenied(twirp(self.d, method, body,
                                    video={"roomAdmin": True, "room": "b"}))
            self.assertDenied(twirp(self.d, method, body,
                                    video={"room": "a"}))
        r = twirp(self.d, "ListParticipants", {"room": "a"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([p["identity"] for p in r.json["participants"]],
                         ["ana"])

    def test_calls_are_recorded_with_claims(self):
        twirp(self.d, "ListRooms", {"names": ["x"]})
        twirp(self.d, "ListRooms", token="garbage")
        calls = self.d.calls
        self.assertEqual(len(calls), 2)
        c = calls[0]
        self.assertEqual((c["service"], c["method"], c["status"]),
                         ("livekit.RoomService", "ListRooms", 200))
        self.assertEqual(c["body"], {"names": ["x"]})
        self.assertEqual(c["claims"]["video"], {"roomList": True})
        self.assertEqual(c["claims"]["iss"], KEY)
        self.assertEqual((calls[1]["status"], calls[1]["claims"]),
                         (401, None))


class RoutingTest(Base):
    def test_unknown_method_is_bad_route(self):
        r = twirp(self.d, "Nope", {}, video={"roomList": True})
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json["code"], "bad_route")
        self.assertIn("no handler for path", r.json["msg"])
        self.assertEqual(r.json["meta"]["twirp_invalid_route"],
                         "POST /twirp/livekit.RoomService/Nope")
        r = twirp(self.d, "ListRooms", {}, service="Unknown")
        self.assertEqual((r.status, r.json["code"]), (404, "bad_route"))

    def test_get_is_bad_route(self):
        r = twirp(self.d, "ListRooms", {}, http_method="GET")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json["code"], "bad_route")
        self.assertIn("only POST is allowed", r.json["msg"])

    def test_content_type(self):
        # twirp: any type but application/json is an unknown route
        r = twirp(self.d, "ListRooms", {}, ctype="text/plain")
        self.assertEqual((r.status, r.json["code"]), (404, "bad_route"), r)
        self.assertIn('unexpected Content-Type: "text/plain"', r.json["msg"])
        for ct in ("application/json", "application/json; charset=utf-8",
                   "Application/JSON;charset=UTF-8"):
            self.assertEqual(twirp(self.d, "ListRooms", {}, ctype=ct).status,
                             200, ct)

    def test_malformed_json(self):
        for raw in (b"{", b"", b"[]", b'{"names": "x"}',
                    b'{"names": ["a"], "names": 3}',
                    b'{"name": "x", "empty_timeout": "abc"}'):
            method = "CreateRoom" if b"name\"" in raw else "ListRooms"
            r = twirp(self.d, method, raw=raw)
            self.assertEqual(r.status, 400, (raw, r))
            self.assertEqual(r.json["code"], "malformed")
            self.assertEqual(r.json["msg"],
                             "the json request could not be decoded")
        # the same field under both spellings
        r = twirp(self.d, "CreateRoom", raw=b'{"name":"x","emptyTimeout":1,'
                                             b'"empty_timeout":2}',
                  video={"roomCreate": True})
        self.assertEqual((r.status, r.json["code"]), (400, "malformed"))

    def test_snake_and_camel_request_keys(self):
        r = twirp(self.d, "CreateRoom", {"name": "s", "empty_timeout": 7,
                                         "departure_timeout": 8})
        self.assertEqual((r.json["empty_timeout"],
                          r.json["departure_timeout"]), (7, 8))
        r = twirp(self.d, "CreateRoom", {"name": "c", "emptyTimeout": "9",
                                         "departureTimeout": 10,
                                         "unknownField": {"x": 1}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["empty_timeout"],
                          r.json["departure_timeout"]), (9, 10))
        r = twirp(self.d, "ListEgress", {"room_name": "s", "active": True})
        self.assertEqual((r.status, r.json), (200, {"items": []}))


class ReplyShapeTest(Base):
    def test_room_reply_is_snake_with_defaults(self):
        room = self.create_room("r")
        self.assertTrue(re.fullmatch(r"RM_[A-Za-z0-9]{12}", room["sid"]))
        self.assertEqual(room["name"], "r")
        self.assertEqual(room["empty_timeout"], 20)
        self.assertEqual(room["max_participants"], 0)
        self.assertEqual(room["num_participants"], 0)
        self.assertIs(room["active_recording"], False)
        self.assertIsInstance(room["creation_time"], str)
        self.assertTrue(room["creation_time"].isdigit())
        self.assertTrue(room["creation_time_ms"].isdigit())
        self.assertEqual(json.loads(room["metadata"])["createdBy"],
                         "openviduMeet")
        self.assertNotIn("emptyTimeout", room)
        r = twirp(self.d, "ListRooms", {"names": ["r"]})
        self.assertEqual(r.json["rooms"][0]["sid"], room["sid"])

    def test_egress_reply_is_snake_with_defaults(self):
        self.create_room()
        info, fp = self.start_egress()
        self.assertTrue(re.fullmatch(r"EG_[A-Za-z0-9]{12}",
                                     info["egress_id"]))
        self.assertEqual(info["status"], "EGRESS_STARTING")
        self.assertEqual(info["room_name"], "room1")
        self.assertTrue(info["room_id"].startswith("RM_"))
        self.assertEqual(info["source_type"], "EGRESS_SOURCE_TYPE_WEB")
        self.assertEqual((info["started_at"], info["ended_at"]), ("0", "0"))
        self.assertTrue(info["updated_at"].isdigit())
        self.assertGreater(int(info["updated_at"]), 10 ** 18)  # ns
        self.assertEqual((info["error"], info["error_code"],
                          info["details"]), ("", 0, ""))
        self.assertEqual(info["stream_results"], [])
        rc = info["room_composite"]
        self.assertEqual(rc["room_name"], "room1")
        self.assertEqual(rc["layout"], "grid")
        self.assertEqual(rc["preset"], "H264_720P_30")
        self.assertEqual(rc["file_outputs"][0],
                         {"file_type": "DEFAULT_FILETYPE", "filepath": fp,
                          "disable_manifest": True})
        self.assertEqual(info["file_results"][0]["filename"], fp + ".mp4")
        self.assertEqual(info["file_results"][0]["size"], "0")

    def test_camel_reply_style(self):
        self.create_room()
        self.d.set_faults(reply_style="camel")
        info, fp = self.start_egress()
        self.assertIn("egressId", info)
        self.assertNotIn("egress_id", info)
        self.assertNotIn("status", info)        # STARTING = 0: omitted
        self.assertNotIn("startedAt", info)
        self.assertNotIn("error", info)
        self.assertEqual(info["roomComposite"]["fileOutputs"],
                         [{"filepath": fp, "disableManifest": True}])
        self.assertEqual(info["fileResults"], [{"filename": fp + ".mp4"}])
        r = twirp(self.d, "ListRooms", {})
        self.assertIn("emptyTimeout", r.json["rooms"][0])
        self.assertNotIn("maxParticipants", r.json["rooms"][0])
        r = twirp(self.d, "ListParticipants", {"room": "nobody"})
        self.assertEqual(r.json, {})            # empty list: omitted

    def test_list_filters(self):
        self.create_room("a")
        self.create_room("b")
        ea = self.egress_id(self.start_egress("a")[0])
        eb = self.egress_id(self.start_egress("b")[0])
        r = twirp(self.d, "ListRooms", {"names": ["b", "zz"]})
        self.assertEqual([x["name"] for x in r.json["rooms"]], ["b"])
        r = twirp(self.d, "ListRooms", {})
        self.assertEqual(sorted(x["name"] for x in r.json["rooms"]),
                         ["a", "b"])
        ids = lambda r: [x["egress_id"] for x in r.json["items"]]  # noqa
        self.assertEqual(ids(twirp(self.d, "ListEgress", {})), [ea, eb])
        self.assertEqual(ids(twirp(self.d, "ListEgress", {"roomName": "a"})),
                         [ea])
        # egressId wins over the other filters
        self.assertEqual(ids(twirp(self.d, "ListEgress",
                                   {"roomName": "a", "egressId": eb})), [eb])
        self.wait_status(ea, "EGRESS_ACTIVE")
        self.assertEqual(twirp(self.d, "StopEgress",
                               {"egressId": ea}).status, 200)
        self.wait_status(ea, "EGRESS_COMPLETE")
        self.assertEqual(ids(twirp(self.d, "ListEgress", {"active": True})),
                         [eb])
        self.assertEqual(ids(twirp(self.d, "ListEgress",
                                   {"roomName": "a", "active": True})), [])

    def test_list_participants_unknown_room(self):
        # LiveKit's store answers an empty list for a room it does not know
        r = twirp(self.d, "ListParticipants", {"room": "ghost"})
        self.assertEqual((r.status, r.json), (200, {"participants": []}))
        self.d.set_faults(list_participants_unknown_room="404")
        r = twirp(self.d, "ListParticipants", {"room": "ghost"})
        self.assertEqual((r.status, r.json["code"]), (404, "not_found"))

    def test_participants_update_and_send_data(self):
        self.create_room("a")
        self.d.join("a", "ana", name="Ana", metadata='{"role":"speaker"}')
        r = twirp(self.d, "GetParticipant", {"room": "a", "identity": "ana"})
        self.assertEqual((r.json["identity"], r.json["name"],
                          r.json["state"], r.json["kind"]),
                         ("ana", "Ana", "ACTIVE", "STANDARD"))
        self.assertTrue(r.json["joined_at"].isdigit())
        r = twirp(self.d, "UpdateParticipant",
                  {"room": "a", "identity": "ana",
                   "metadata": '{"role":"moderator"}'})
        self.assertEqual(r.json["metadata"], '{"role":"moderator"}')
        nonce = base64.b64encode(os.urandom(16)).decode()
        data = base64.b64encode(b'{"x":1}').decode()
        r = twirp(self.d, "SendData", {"room": "a", "data": data,
                                       "topic": "roomStatus",
                                       "destinationIdentities": ["ana"],
                                       "nonce": nonce})
        self.assertEqual((r.status, r.json), (200, {}))
        self.assertEqual(self.d.data_sent[0]["data"], '{"x":1}')
        self.assertEqual(self.d.data_sent[0]["topic"], "roomStatus")
        r = twirp(self.d, "SendData", {"room": "a", "data": data,
                                       "nonce": "AAAA"})
        self.assertEqual((r.status, r.json["code"]),
                         (400, "invalid_argument"))
        r = twirp(self.d, "SendData", {"room": "gone", "data": data})
        self.assertEqual((r.status, r.json["code"]), (404, "not_found"))


class ErrorTest(Base):
    def assertTwirp(self, r, status, code, msg):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.ctype, "application/json")
        self.assertEqual((r.json["code"], r.json["msg"]), (code, msg))

    def test_room_and_participant_not_found(self):
        self.assertTwirp(twirp(self.d, "DeleteRoom", {"room": "ghost"}),
                         404, "not_found", "requested room does not exist")
        self.create_room("a")
        self.assertTwirp(twirp(self.d, "GetParticipant",
                               {"room": "a", "identity": "nobody"}),
                         404, "not_found", "participant does not exist")
        self.assertTwirp(twirp(self.d, "UpdateParticipant",
                               {"room": "a", "identity": "nobody",
                                "metadata": "m"}),
                         404, "not_found", "participant does not exist")
        # RoomService.RemoveParticipant answers twirp.NotFoundError itself
        self.assertTwirp(twirp(self.d, "RemoveParticipant",
                               {"room": "a", "identity": "nobody"}),
                         404, "not_found", "participant not found")

    def test_egress_not_found(self):
        self.assertTwirp(twirp(self.d, "ListEgress",
                               {"egressId": "EG_doesnotexist"}),
                         404, "not_found", "egress does not exist")
        self.assertTwirp(twirp(self.d, "StopEgress",
                               {"egressId": "EG_doesnotexist"}),
                         404, "not_found", "egress does not exist")

    def test_start_egress_errors(self):
        self.assertTwirp(twirp(self.d, "StartRoomCompositeEgress",
                               {"roomName": "ghost",
                                "fileOutputs": [{"filepath": "x"}]}),
                         404, "not_found", "requested room does not exist")
        r = twirp(self.d, "StartRoomCompositeEgress",
                  {"fileOutputs": [{"filepath": "x"}]})
        self.assertEqual((r.status, r.json["code"]),
                         (400, "invalid_argument"), r)
        self.create_room()
        self.d.set_faults(egress_start_error=True)
        r = twirp(self.d, "StartRoomCompositeEgress",
                  {"roomName": "room1", "fileOutputs": [{"filepath": "x"}]})
        self.assertEqual((r.status, r.json["code"]), (500, "internal"), r)
        self.assertEqual(self.d.egresses(), [])

    def test_stop_finished_egress_is_failed_precondition(self):
        eid, _ = self.recording()
        r = twirp(self.d, "StopEgress", {"egressId": eid})
        self.assertEqual(r.json["status"], "EGRESS_ENDING")
        self.assertTrue(self.d.wait_idle(10))
        self.assertTwirp(twirp(self.d, "StopEgress", {"egressId": eid}),
                         412, "failed_precondition",
                         "egress with status EGRESS_COMPLETE cannot be "
                         "stopped")

    def test_refuse(self):
        self.d.set_faults(refuse="503")
        r = twirp(self.d, "ListRooms", {})
        self.assertEqual((r.status, r.json["code"]), (503, "unavailable"))
        self.d.set_faults(refuse="close")
        with self.assertRaises((http.client.RemoteDisconnected,
                                ConnectionError)):
            twirp(self.d, "ListRooms", {})
        self.d.reset_faults()
        self.assertEqual(twirp(self.d, "ListRooms", {}).status, 200)
        self.assertEqual([c["status"] for c in self.d.calls],
                         [503, None, 200])

    def test_slow(self):
        self.d.set_faults(slow_ms=300)
        t = time.time()
        self.assertEqual(twirp(self.d, "ListRooms", {}).status, 200)
        self.assertGreaterEqual(time.time() - t, 0.3)


class WebhookTest(Base):
    def test_egress_lifecycle_webhooks(self):
        room = self.create_room()
        self.d.join("room1", "ana-0123", name="Ana")
        info, fp = self.start_egress()
        eid = info["egress_id"]
        self.wait_status(eid, "EGRESS_ACTIVE")
        r = twirp(self.d, "StopEgress", {"egressId": eid})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "EGRESS_ENDING")
        self.assertTrue(self.d.wait_idle(10))
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= 6))
        reqs = self.recv.requests
        for q in reqs:
            self.assertIsNone(q["why"], q)
            self.assertEqual(q["path"], "/livekit/webhook")
        evs = [q["event"] for q in reqs]
        # one queue per room and one per egress: order holds within each
        rm = [e for e in evs if not e["event"].startswith("egress_")]
        self.assertEqual([e["event"] for e in rm],
                         ["room_started", "participant_joined"])
        eg = [e for e in evs if e["event"].startswith("egress_")]
        self.assertEqual([(e["event"], e["egressInfo"].get("status"))
                          for e in eg],
                         [("egress_started", None),
                          ("egress_updated", "EGRESS_ACTIVE"),
                          ("egress_updated", "EGRESS_ENDING"),
                          ("egress_ended", "EGRESS_COMPLETE")])
        ids = [e["id"] for e in evs]
        self.assertEqual(len(set(ids)), len(ids))
        for e in evs:
            self.assertTrue(re.fullmatch(r"EV_[A-Za-z0-9]{12}", e["id"]))
            self.assertTrue(re.fullmatch(r"\d{10}", e["createdAt"]))
        # room events: the full room (metadata included)
        self.assertEqual(rm[0]["room"]["sid"], room["sid"])
        self.assertEqual(json.loads(rm[0]["room"]["metadata"])["createdBy"],
                         "openviduMeet")
        self.assertEqual(rm[0]["room"]["emptyTimeout"], 20)
        self.assertEqual(rm[1]["room"]["numParticipants"], 1)
        self.assertEqual(rm[1]["participant"]["identity"], "ana-0123")
        self.assertEqual(rm[1]["participant"]["state"], "ACTIVE")
        self.assertNotIn("kind", rm[1]["participant"])  # STANDARD = 0
        # egress events: minimal room
        for e in eg:
            self.assertEqual(e["room"], {"sid": room["sid"], "name": "room1"})
            self.assertEqual(e["egressInfo"]["egressId"], eid)
        started, active, ending, ended = (e["egressInfo"] for e in eg)
        self.assertNotIn("startedAt", started)
        self.assertTrue(started["updatedAt"].isdigit())
        self.assertEqual(started["fileResults"], [{"filename": fp + ".mp4"}])
        self.assertEqual(started["roomComposite"]["fileOutputs"][0]
                         ["filepath"], fp)
        self.assertTrue(active["startedAt"].isdigit())
        self.assertEqual(ending["startedAt"], active["startedAt"])
        self.assertEqual(ended["details"], "End reason: StopEgress API")
        fr = ended["fileResults"][0]
        self.assertEqual(int(fr["duration"]),
                         int(ended["endedAt"]) - int(ended["startedAt"]))
        self.assertGreater(int(fr["duration"]), 0)
        path = os.path.join(self.tmp, fp + ".mp4")
        self.assertEqual(int(fr["size"]), os.path.getsize(path))
        self.assertTrue(fr["location"].startswith("file://"))
        self.assertTrue(fr["location"].endswith(fp + ".mp4"))
        self.assertNotIn("error", ended)
        sent = self.d.webhooks_sent
        self.assertEqual(len(sent), 6)
        self.assertTrue(all(w["status"] == 200 for w in sent))
        self.assertEqual([w["egressId"] for w in sent if "egressId" in w],
                         [eid] * 4)

    def check_fault(self, knob, why):
        self.d.set_faults(**{knob: True})
        self.d.join("fault-room", "ana")
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= 2))
        self.assertEqual([q["why"] for q in self.recv.requests], [why] * 2)
        self.d.reset_faults()

    def test_bad_signature(self):
        self.check_fault("bad_signature", "signature")

    def test_wrong_iss(self):
        self.check_fault("wrong_iss", "iss")

    def test_expired(self):
        self.check_fault("expired", "time")

    def test_hash_mismatch(self):
        self.check_fault("hash_mismatch", "sha256")

    def test_bearer_prefix(self):
        self.check_fault("bearer_prefix", "bearer prefix")
        tok = self.recv.requests[0]["headers"]["authorization"][7:]
        h = dict(self.recv.requests[0]["headers"], authorization=tok)
        self.assertIsNone(self.recv.verify(h, self.recv.requests[0]["body"]))

    def test_wrong_content_type(self):
        self.check_fault("wrong_content_type", "content type "
                         "'application/json'")

    def test_whitespace_still_valid(self):
        self.d.set_faults(whitespace=True)
        self.d.join("ws-room", "ana")
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= 2))
        for q in self.recv.requests:
            self.assertIsNone(q["why"])
            self.assertIn(b"\n  ", q["body"])

    def test_duplicate(self):
        self.d.set_faults(duplicate=True)
        self.d.join("dup-room", "ana")
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= 4))
        self.assertTrue(self.d.wait_idle(5))
        evs = self.recv.events()
        self.assertEqual(len(evs), 4)
        by_id = {}
        for e in evs:
            by_id.setdefault(e["id"], []).append(e["event"])
        self.assertEqual(sorted(by_id.values()),
                         [["participant_joined"] * 2, ["room_started"] * 2])
        # both copies of room_started arrive before participant_joined
        self.assertEqual([e["event"] for e in evs[:2]], ["room_started"] * 2)

    def test_retry_on_5xx(self):
        self.recv.script = [500, 503]
        self.d.set_faults(webhook_backoff_ms=20)
        self.d.join("retry-room", "ana")
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= 4))
        self.assertTrue(self.d.wait_idle(5))
        sent = self.d.webhooks_sent
        self.assertEqual([(w["event"], w["status"], w["attempts"])
                          for w in sent],
                         [("room_started", 200, 3),
                          ("participant_joined", 200, 1)])
        ids = [q["event"]["id"] for q in self.recv.requests]
        self.assertEqual(ids[0], ids[1])
        self.assertEqual(ids[1], ids[2])

    def test_delete_room_order(self):
        eid, fp = self.recording()
        self.d.join("room1", "ben")
        self.assertTrue(self.d.wait_idle(5))
        n = len(self.recv.requests)
        r = twirp(self.d, "DeleteRoom", {"room": "room1"})
        self.assertEqual((r.status, r.json), (200, {}))
        self.assertEqual(self.d.rooms(), [])
        self.assertTrue(self.d.wait_idle(10))
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= n + 5))
        evs = [q["event"] for q in self.recv.requests[n:]]
        self.assertEqual([(e["event"], (e.get("egressInfo") or {}).get(
            "status"), (e.get("participant") or {}).get("disconnectReason"))
            for e in evs],
            [("egress_updated", "EGRESS_ENDING", None),
             ("egress_ended", "EGRESS_COMPLETE", None),
             ("participant_left", None, "ROOM_DELETED"),
             ("participant_left", None, "ROOM_DELETED"),
             ("room_finished", None, None)])
        self.assertEqual(evs[1]["egressInfo"]["details"],
                         "End reason: Source closed")
        self.assertTrue(os.path.exists(os.path.join(self.tmp, fp + ".mp4")))

    def test_out_of_order(self):
        eid, _ = self.recording()
        self.assertTrue(self.d.wait_idle(5))
        n = len(self.recv.requests)
        self.d.set_faults(out_of_order=True)
        self.assertEqual(twirp(self.d, "DeleteRoom", {"room": "room1"})
                         .status, 200)
        self.assertTrue(self.d.wait_idle(10))
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= n + 4))
        self.assertEqual([q["event"]["event"]
                          for q in self.recv.requests[n:]],
                         ["participant_left", "room_finished",
                          "egress_updated", "egress_ended"])

    def test_empty_and_departure_timeouts(self):
        self.d.set_faults(timeout_scale=0.01)
        self.create_room("empty", emptyTimeout=10)       # closes in 0.1 s
        self.create_room("dep", emptyTimeout=1000, departureTimeout=20)
        self.d.join("dep", "ana")
        self.assertTrue(self.recv.wait(
            lambda rs: any(q["event"]["event"] == "room_finished"
                           for q in rs)))
        self.assertEqual([r["name"] for r in self.d.rooms()], ["dep"])
        time.sleep(0.3)
        self.assertEqual([r["name"] for r in self.d.rooms()], ["dep"])
        self.d.leave("dep", "ana")                      # closes in 0.2 s
        self.assertTrue(self.recv.wait(
            lambda rs: [q["event"]["room"]["name"] for q in rs
                        if q["event"]["event"] == "room_finished"]
            == ["empty", "dep"]))
        left = self.recv.events("participant_left")
        self.assertEqual(left[0]["participant"]["disconnectReason"],
                         "CLIENT_INITIATED")
        self.assertEqual(left[0]["participant"]["state"], "DISCONNECTED")

    def test_no_timeouts_by_default(self):
        self.create_room("a", emptyTimeout=1)
        time.sleep(1.3)
        self.assertEqual([r["name"] for r in self.d.rooms()], ["a"])

    def test_non_meet_and_join_auto_create(self):
        self.d.set_faults(non_meet=True)
        self.create_room("nm")
        self.d.reset_faults()
        self.d.join("auto", "ana")  # auto-created: empty metadata
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= 3))
        started = {e["room"]["name"]: e for e in
                   self.recv.events("room_started")}
        md = json.loads(started["nm"]["room"]["metadata"])
        self.assertNotIn("createdBy", md)
        self.assertEqual(md["roomOptions"], {"roomName": "R"})
        self.assertNotIn("metadata", started["auto"]["room"])
        self.assertEqual([e["event"] for e in self.recv.events()
                          if e["room"]["name"] == "auto"],
                         ["room_started", "participant_joined"])

    def test_remove_and_duplicate_identity(self):
        self.create_room("a")
        self.d.join("a", "ana")
        self.d.join("a", "ana")     # same identity again
        r = twirp(self.d, "RemoveParticipant", {"room": "a",
                                                "identity": "ana"})
        self.assertEqual((r.status, r.json), (200, {}))
        self.assertTrue(self.d.wait_idle(5))
        self.assertTrue(self.recv.wait(lambda rs: len(rs) >= 5))
        self.assertEqual([(e["event"], e.get("participant", {})
                           .get("disconnectReason"))
                          for e in self.recv.events()],
                         [("room_started", None),
                          ("participant_joined", None),
                          ("participant_left", "DUPLICATE_IDENTITY"),
                          ("participant_joined", None),
                          ("participant_left", "PARTICIPANT_REMOVED")])

    def test_egress_never_active_then_stopped(self):
        self.create_room()
        self.d.set_faults(egress_active="never")
        info, _ = self.start_egress()
        eid = info["egress_id"]
        time.sleep(0.4)
        self.assertNotIn("status", self.d.egresses()[0])  # still STARTING
        r = twirp(self.d, "StopEgress", {"egressId": eid})
        # livekit/egress: a stop before the pipeline starts aborts it
        self.assertEqual(r.json["status"], "EGRESS_ABORTED")
        self.assertTrue(self.d.wait_idle(5))
        self.assertTrue(self.recv.wait(
            lambda rs: len([q for q in rs if "egressInfo" in q["event"]])
            >= 2))
        eg = [e for e in self.recv.events() if "egressInfo" in e]
        self.assertEqual([(e["event"], e["egressInfo"].get("status"))
                          for e in eg],
                         [("egress_started", None),
                          ("egress_ended", "EGRESS_ABORTED")])

    def test_egress_immediately_active(self):
        self.create_room()
        self.d.set_faults(egress_active="immediate")
        info, _ = self.start_egress()
        self.assertEqual(info["status"], "EGRESS_ACTIVE")
        self.assertNotEqual(info["started_at"], "0")

    def test_egress_end_knob(self):
        for status, code, details in (
                ("EGRESS_FAILED", 500, "End reason: StopEgress API"),
                ("EGRESS_ABORTED", 412, "End reason: StopEgress API"),
                ("EGRESS_LIMIT_REACHED", 413,
                 "End reason: Session limit reached")):
            with self.subTest(status=status):
                room = "r-" + status.lower().replace("_", "-")
                eid, _ = self.recording(room)
                self.d.set_faults(egress_end=status)
                twirp(self.d, "StopEgress", {"egressId": eid})
                self.d.reset_faults()
                self.assertTrue(self.d.wait_idle(10))
                e = self.wait_status(eid, status)
                self.assertEqual(e["errorCode"], code)
                self.assertTrue(e["error"])
                self.assertEqual(e["details"], details)
                self.assertTrue(self.recv.wait(lambda rs: any(
                    q["event"]["event"] == "egress_ended" and
                    q["event"]["egressInfo"]["egressId"] == eid
                    for q in rs)))

    def test_end_egress(self):
        eid, fp = self.recording()
        e = self.d.end_egress(eid, "EGRESS_LIMIT_REACHED")
        self.assertEqual((e["status"], e["errorCode"], e["details"]),
                         ("EGRESS_LIMIT_REACHED", 413,
                          "End reason: Session limit reached"))
        self.assertGreater(int(e["fileResults"][0]["size"]), 0)
        with self.assertRaises(ValueError):
            self.d.end_egress(eid, "EGRESS_FAILED")
        with self.assertRaises(KeyError):
            self.d.end_egress("EG_nope", "EGRESS_FAILED")
        eid2 = self.egress_id(self.start_egress(uid="ffffffffff")[0])
        e = self.d.end_egress(eid2, "EGRESS_FAILED")
        self.assertEqual((e["status"], e["errorCode"]), ("EGRESS_FAILED", 500))


class MediaTest(Base):
    ffmpeg = "ffmpeg" if HAVE_FFMPEG else None
    active_delay_ms = 50

    @unittest.skipUnless(HAVE_FFMPEG, "ffmpeg/ffprobe not installed")
    def test_ffmpeg_media_duration(self):
        eid, fp = self.recording()
        time.sleep(1.5)
        twirp(self.d, "StopEgress", {"egressId": eid})
        self.assertTrue(self.d.wait_idle(30))
        e = self.wait_status(eid, "EGRESS_COMPLETE")
        fr = e["fileResults"][0]
        path = os.path.join(self.tmp, fp + ".mp4")
        self.assertEqual(int(fr["size"]), os.path.getsize(path))
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                              "format=duration", "-of", "csv=p=0", path],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        probed = float(out.stdout.strip())
        want = int(fr["duration"]) / 1e9
        self.assertGreater(want, 1.4)
        self.assertLess(abs(probed - want), 1.0, (probed, want))

    def test_placeholder_without_ffmpeg(self):
        self.d.ffmpeg = None
        eid, fp = self.recording()
        twirp(self.d, "StopEgress", {"egressId": eid})
        self.assertTrue(self.d.wait_idle(10))
        path = os.path.join(self.tmp, "openvidu-meet", "recordings", "room1",
                            "room1--0a1b2c3d4e.mp4")
        self.assertEqual(fp + ".mp4", os.path.relpath(path, self.tmp))
        self.assertGreater(os.path.getsize(path), 0)
        e = self.wait_status(eid, "EGRESS_COMPLETE")
        self.assertEqual(int(e["fileResults"][0]["size"]),
                         os.path.getsize(path))


class CliTest(unittest.TestCase):
    def test_cli_and_control_endpoints(self):
        recv = Receiver()
        tmp = tempfile.mkdtemp(prefix="lk-double-cli-")
        proc = subprocess.Popen(
            [sys.executable, os.path.join(DOUBLE_DIR, "livekit_double.py"),
             "--port", "0", "--api-key", KEY, "--api-secret", SECRET,
             "--webhook-url", recv.url, "--egress-dir", tmp,
             "--active-delay-ms", "50"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            r, _, _ = select.select([proc.stdout], [], [], 10)
            self.assertTrue(r, "no READY line")
            line = proc.stdout.readline().decode()
            m = re.fullmatch(r"READY (\d+)\n", line)
            self.assertTrue(m, line)
            port = int(m.group(1))

            def ctl(method, path, body=None):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    c.request(method, "/_fake/" + path,
                              body=None if body is None
                              else json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"})
                    resp = c.getresponse()
                    return resp.status, json.loads(resp.read() or b"null")
                finally:
                    c.close()

            st, p = ctl("POST", "join", {"room": "cli", "identity": "ana",
                                         "name": "Ana"})
            self.assertEqual((st, p["identity"], p["name"]),
                             (200, "ana", "Ana"))
            self.assertEqual(ctl("POST", "faults", {"nope": 1})[0], 400)
            self.assertEqual(ctl("POST", "faults", {"duplicate": True})[0],
                             200)
            self.assertEqual(ctl("POST", "reset_faults", {})[0], 200)
            self.assertEqual(ctl("POST", "leave", {"room": "cli",
                                                   "identity": "bob"})[0],
                             404)
            self.assertEqual(ctl("POST", "leave", {"room": "cli",
                                                   "identity": "ana"})[0],
                             200)
            self.assertEqual(ctl("POST", "wait_idle", {"timeout": 5}),
                             (200, {"idle": True}))
            st, state = ctl("GET", "state")
            self.assertEqual(st, 200)
            self.assertEqual([x["name"] for x in state["rooms"]], ["cli"])
            self.assertEqual([w["event"] for w in state["webhooks_sent"]],
                             ["room_started", "participant_joined",
                              "participant_left"])
            self.assertTrue(all(w["status"] == 200
                                for w in state["webhooks_sent"]))
            self.assertEqual(ctl("POST", "webhook_url", {"url": ""}),
                             (200, {"url": None}))
            self.assertTrue(recv.wait(lambda rs: len(rs) == 3))
            self.assertTrue(all(q["why"] is None for q in recv.requests))
        finally:
            proc.terminate()
            try:
                self.assertEqual(proc.wait(10), 0)
            finally:
                proc.stdout.close()
                proc.stderr.close()
                recv.close()
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--bin-dir")  # passed by ctest; meetd is not needed
    _, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
