"""Table-driven error-path tests of the rooms endpoints against the real
meetd binary: every error case of BEHAVIOUR.md §2-§6 that is reachable
through the public API, with the exact status and the exact JSON body
(including the order of the 422 details).

Where meetd deliberately differs from the reference (DESIGN.md "Where meetd
deliberately differs"), meetd's behaviour is asserted; everywhere else the
assertions follow BEHAVIOUR.md.

    python3 tests/api/test_rooms_errors.py --bin-dir build/dev/bin
"""

import copy
import json
import time
import unittest
import urllib.parse

import harness
from harness import Meetd

HOUR_MS = 3600 * 1000

AUTH = "Authentication Error"
UNAUTHORIZED = {"error": AUTH, "message": "Unauthorized"}
INVALID_KEY = {"error": AUTH, "message": "Invalid API key"}
MALFORMED = {"error": "Bad Request", "message": "Malformed body"}
NO_PATH = {"error": "Path Not Found", "message": "API path not implemented"}
JSON_CT = {"Content-Type": "application/json"}

DEFAULT_RECORDING = {"enabled": True, "layout": "grid",
                     "encoding": "H264_720P_30",
                     "allowAccessTo": "admin_moderator_speaker"}
DEFAULT_CONFIG = {
    "chat": {"enabled": True},
    "recording": DEFAULT_RECORDING,
    "virtualBackground": {"enabled": True},
    "e2ee": {"enabled": False},
    "captions": {"enabled": True},
}
DEFAULT_POLICY = {"withMeeting": "when_meeting_ends",
                  "withRecordings": "close"}
# Schema order of the config sections (the order of their 422 details).
SECTIONS = ["recording", "chat", "virtualBackground", "e2ee", "captions"]

PRESETS = ["H264_720P_30", "H264_720P_60", "H264_1080P_30", "H264_1080P_60",
           "PORTRAIT_H264_720P_30", "PORTRAIT_H264_720P_60",
           "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60"]
P = "config.recording.encoding"
BAD_PRESET = "Invalid encoding preset. Must be one of: " + ", ".join(PRESETS)
ENC_TYPE = ("Encoding must be either a preset string or an encoding "
            "configuration object")
ENC_BOTH = ("Both video and audio configuration must be provided when using "
            "encoding options")
ENC_VIDEO_OBJ = "Video encoding must be a valid object"
ENC_AUDIO_OBJ = "Audio encoding must be a valid object"
VIDEO = {"width": 1280, "height": 720, "framerate": 30, "codec": "H264_MAIN",
         "bitrate": 3000, "keyFrameInterval": 4, "depth": 24}
AUDIO = {"codec": "OPUS", "bitrate": 128, "frequency": 44100}

WITH_MEETING = "'force' | 'when_meeting_ends' | 'fail'"
WITH_RECORDINGS = "'force' | 'close' | 'fail'"
LAYOUTS = "'grid' | 'speaker' | 'single-speaker'"
ACCESS = "'admin' | 'admin_moderator' | 'admin_moderator_speaker'"
VIDEO_CODECS = "'DEFAULT_VC' | 'H264_BASELINE' | 'H264_MAIN' | 'H264_HIGH' | 'VP8'"
AUDIO_CODECS = "'DEFAULT_AC' | 'OPUS' | 'AAC' | 'AC_MP3'"
ROOM_STATUSES = "'open' | 'active_meeting' | 'closed'"
SORT_FIELDS = "'creationDate' | 'roomName' | 'autoDeletionDate'"
NO_VALID_IDS = "At least one valid roomId is required after sanitization"
FAIL_MEETING = "FAIL policy is not allowed for withMeeting auto-deletion policy"
FAIL_RECORDINGS = ("FAIL policy is not allowed for withRecordings "
                   "auto-deletion policy")
DATE_POSITIVE = "autoDeletionDate must be a positive integer"
DATE_1H = "autoDeletionDate must be at least 1h in the future"


def now_ms():
    return int(time.time() * 1000)


def d(field, message):
    return {"field": field, "message": message}


def invalid(*details):
    return {"error": "Unprocessable Entity", "message": "Invalid request",
            "details": list(details)}


def enum_msg(options, received):
    return "Invalid enum value. Expected %s, received '%s'" % (options, received)


def room_error(rid):
    return {"error": "Room Error", "message": "Room '%s' does not exist" % rid}


def without(obj, *keys):
    return {k: v for k, v in obj.items() if k not in keys}


def with_(obj, **kw):
    out = dict(obj)
    out.update(kw)
    return out


def enc(value):
    """A create body whose recording encoding is `value`."""
    return {"config": {"recording": {"enabled": True, "encoding": value}}}


def missing_video(*keys):
    return ("When video encoding is provided, required fields are missing: "
            + ", ".join(keys))


def missing_audio(*keys):
    return ("When audio encoding is provided, required fields are missing: "
            + ", ".join(keys))


def raw_request(method, path, headers, body=b""):
    """Builds one raw HTTP/1.1 request (headers: list of (name, value),
    so a name may repeat)."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    lines += ["%s: %s" % (k, v) for k, v in headers]
    if body:
        lines.append("Content-Length: %d" % len(body))
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class RoomsErrorsTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=2)

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    # ---- helpers -------------------------------------------------------

    def req(self, method, path, body=None, prefix="/api/v1", **kw):
        return self.m.request(method, prefix + path, body=body, **kw)

    def expect(self, method, path, status, expected, body=None, **kw):
        """One request; asserts the exact status and JSON body. `expected`
        None checks only the status. Returns the parsed body."""
        st, h, got = self.req(method, path, body, **kw)
        what = "%s %s body=%s raw=%r headers=%r" % (
            method, path, json.dumps(body) if body is not None else None,
            kw.get("raw_body"), kw.get("headers"))
        self.assertEqual(st, status, "%s -> %s %s" % (what, st, got))
        if expected is not None:
            self.assertTrue(h.get("content-type", "").startswith(
                "application/json"), "%s: content-type %r" % (what, h))
            self.assertEqual(got, expected, what)
        return got

    def create(self, body=None, **kw):
        st, _, room = self.req("POST", "/rooms",
                               body if body is not None else {}, **kw)
        self.assertEqual(st, 201, "%s -> %s" % (body, room))
        return room

    def table(self, method, path, rows):
        """rows: (body, status, expected body)."""
        for body, status, expected in rows:
            with self.subTest(method=method, path=path,
                              body=json.dumps(body)):
                self.expect(method, path, status, expected, body)

    def raw(self, data):
        got = self.m.raw(data, expect=1)
        self.assertEqual(len(got), 1, data)
        st, h, body = got[0]
        return st, h, json.loads(body) if body else None

    # ---- §2.2 authentication ------------------------------------------

    def test_auth_on_every_rooms_endpoint(self):
        room = self.create({"roomName": "auth"})
        rid = room["roomId"]
        endpoints = [
            ("GET", "/rooms", None),
            ("POST", "/rooms", {}),
            ("DELETE", "/rooms?roomIds=" + rid, None),
            ("GET", "/rooms/" + rid, None),
            ("GET", "/rooms/" + rid + "/config", None),
            ("PUT", "/rooms/" + rid + "/config", {"config": {}}),
            ("PUT", "/rooms/" + rid + "/status", {"status": "open"}),
            ("DELETE", "/rooms/" + rid, None),
        ]
        cases = [
            ({}, UNAUTHORIZED),                                  # no key
            ({"X-API-KEY": ""}, UNAUTHORIZED),                   # empty key
            ({"X-API-KEY": "wrong"}, INVALID_KEY),
            ({"X-API-KEY": harness.API_KEY.upper()}, INVALID_KEY),
            ({"X-API-KEY": harness.API_KEY + "x"}, INVALID_KEY),
            ({"X-API-KEY": harness.API_KEY[:-1]}, INVALID_KEY),
            # There is no query-parameter form of the key (§2.1); other
            # credential headers without a key are simply absent ones.
            ({"X-API": harness.API_KEY}, UNAUTHORIZED),
        ]
        for method, path, body in endpoints:
            for headers, expected in cases:
                with self.subTest(method=method, path=path, headers=headers):
                    self.expect(method, path, 401, expected, body, key=False,
                                headers=headers)
            with self.subTest(method=method, path=path, query_key=True):
                sep = "&" if "?" in path else "?"
                self.expect(method, path + sep + "apiKey=" + harness.API_KEY
                            + "&X-API-KEY=" + harness.API_KEY, 401,
                            UNAUTHORIZED, body, key=False)
        # The room was untouched by all of that.
        self.expect("GET", "/rooms/" + rid, 200, room)

    def test_auth_header_name_is_case_insensitive(self):
        for name in ("x-api-key", "X-Api-Key", "X-API-KEY", "x-API-key"):
            with self.subTest(name=name):
                st, _, body = self.req("GET", "/rooms?maxItems=1", key=False,
                                       headers={name: harness.API_KEY})
                self.assertEqual(st, 200, body)
                st, _, body = self.req("GET", "/rooms", key=False,
                                       headers={name: "nope"})
                self.assertEqual((st, body), (401, INVALID_KEY))

    def test_auth_raw_header_forms(self):
        key = harness.API_KEY
        cases = [
            # A repeated header is joined with ", " and fails (§2.4).
            ([("X-API-KEY", key), ("X-API-KEY", key)], 401, INVALID_KEY),
            ([("X-API-KEY", "wrong"), ("x-api-key", key)], 401, INVALID_KEY),
            ([("x-api-key", key), ("X-Api-Key", "wrong")], 401, INVALID_KEY),
            # Optional whitespace around the value is not part of it.
            ([("X-API-KEY", "   " + key + "  ")], 200, None),
            ([("X-API-KEY", key)], 200, None),
            ([("X-API-KEY", "")], 401, UNAUTHORIZED),
            ([("X-API-KEY", "   ")], 401, UNAUTHORIZED),
            ([], 401, UNAUTHORIZED),
        ]
        for headers, status, expected in cases:
            with self.subTest(headers=headers):
                st, _, body = self.raw(raw_request(
                    "GET", "/api/v1/rooms?maxItems=1", headers))
                self.assertEqual(st, status, body)
                if expected is not None:
                    self.assertEqual(body, expected)

    def test_auth_comes_before_validation_and_existence(self):
        cases = [
            ("GET", "/rooms/%21%21", None),
            ("GET", "/rooms/" + "a" * 101, None),
            ("GET", "/rooms/missing-room", None),
            ("GET", "/rooms/missing-room/config", None),
            ("GET", "/rooms?maxItems=abc&status=bad", None),
            ("POST", "/rooms", {"roomName": 5, "config": {"chat": {}}}),
            ("PUT", "/rooms/%21/config", {}),
            ("PUT", "/rooms/missing-room/config", {"config": {}}),
            ("PUT", "/rooms/missing-room/status", {"status": "bad"}),
            ("DELETE", "/rooms/%21?withMeeting=bad", None),
            ("DELETE", "/rooms/missing-room", None),
            ("DELETE", "/rooms", None),
            ("DELETE", "/rooms?roomIds=missing-room&withRecordings=x", None),
        ]
        for method, path, body in cases:
            for headers, expected in (({}, UNAUTHORIZED),
                                      ({"X-API-KEY": "bad"}, INVALID_KEY)):
                with self.subTest(method=method, path=path, headers=headers):
                    self.expect(method, path, 401, expected, body, key=False,
                                headers=headers)

    # ---- §1.2 body parsing ---------------------------------------------

    def test_malformed_json_comes_before_auth(self):
        bodies = [b'{"roomName": ', b'{', b'}', b'{"a":1,}', b"{'a':1}",
                  b'{"a":1}x', b'{"a" 1}', b'[1,]', b'nul', b'{"a":tru}',
                  # A JSON top level that is not an object or an array.
                  b'null', b'"str"', b'5', b'true', b'false', b'-1.5',
                  b'  "x"  ']
        targets = [("POST", "/rooms"),
                   ("PUT", "/rooms/some-room/config"),
                   ("PUT", "/rooms/some-room/status"),
                   # Before path validation and existence too.
                   ("PUT", "/rooms/%21%21/config"),
                   ("PUT", "/rooms/" + "a" * 101 + "/status")]
        for method, path in targets:
            for raw in bodies:
                for key, headers in ((True, JSON_CT), (False, JSON_CT),
                                     (False, {"Content-Type": "application/json",
                                              "X-API-KEY": "wrong"}),
                                     (True, {"Content-Type":
                                             "application/json; charset=utf-8"})):
                    with self.subTest(method=method, path=path, raw=raw,
                                      key=key, headers=headers):
                        self.expect(method, path, 400, MALFORMED,
                                    raw_body=raw, key=key, headers=headers)

    def test_malformed_json_on_other_methods(self):
        # The JSON parser runs for every request (§1.2), before auth.
        for method, path in (("GET", "/rooms"), ("DELETE", "/rooms/x"),
                             ("GET", "/rooms/x"), ("DELETE", "/rooms?roomIds=x")):
            for key in (True, False):
                with self.subTest(method=method, path=path, key=key):
                    self.expect(method, path, 400, MALFORMED, raw_body=b'{"x',
                                key=key, headers=JSON_CT)

    def test_top_level_array_is_a_type_error_on_the_whole_body(self):
        for raw in (b'[]', b'[1, 2]', b'[{"roomName": "x"}]', b' [ ] '):
            with self.subTest(raw=raw):
                self.expect("POST", "/rooms", 422, invalid(
                    d("", "Expected object, received array")),
                    raw_body=raw, headers=JSON_CT)
                self.expect("PUT", "/rooms/some-room/config", 422, invalid(
                    d("", "Expected object, received array")),
                    raw_body=raw, headers=JSON_CT)
                self.expect("PUT", "/rooms/some-room/status", 422, invalid(
                    d("", "Expected object, received array")),
                    raw_body=raw, headers=JSON_CT)

    def test_other_content_types_are_an_empty_body(self):
        cases = [
            (b'{"roomName": "ignored"}', {"Content-Type": "text/plain"}),
            (b'{"roomName": ', {"Content-Type": "text/plain"}),
            (b'{"roomName": 5}', {"Content-Type": "application/octet-stream"}),
            (b'{"roomName": 5}', {}),
            (b'<room name="x"/>', {"Content-Type": "application/xml"}),
            (b'', JSON_CT),
            (None, {}),
        ]
        for raw, headers in cases:
            with self.subTest(raw=raw, headers=headers):
                room = self.expect("POST", "/rooms", 201, None, raw_body=raw,
                                   headers=headers)
                self.assertEqual(room["roomName"], "Room")
                self.assertEqual(room["config"], DEFAULT_CONFIG)
                self.assertEqual(room["autoDeletionPolicy"], DEFAULT_POLICY)
                self.assertNotIn("autoDeletionDate", room)
        # PUT status with a non-JSON body validates {} -> Required.
        self.expect("PUT", "/rooms/some-room/status", 422,
                    invalid(d("status", "Required")),
                    raw_body=b'{"status":"open"}',
                    headers={"Content-Type": "text/plain"})
        self.expect("PUT", "/rooms/some-room/config", 422,
                    invalid(d("config", "Required")),
                    raw_body=b'{"config":{}}',
                    headers={"Content-Type": "text/plain"})

    def test_urlencoded_body_is_parsed(self):
        # §1.2: "Body parsing: JSON ... and urlencoded."
        room = self.expect("POST", "/rooms", 201, None,
                           raw_body=b"roomName=Form+Name",
                           headers={"Content-Type":
                                    "application/x-www-form-urlencoded"})
        self.assertEqual(room["roomName"], "Form Name")

    def test_duplicate_json_keys_last_one_wins(self):
        room = self.expect("POST", "/rooms", 201, None,
                           raw_body=b'{"roomName": "first", "roomName": "last"}',
                           headers=JSON_CT)
        self.assertEqual(room["roomName"], "last")

    # ---- §6.1 POST /rooms ------------------------------------------------

    def test_create_field_types(self):
        rows = []
        types = [("string", "x"), ("number", 5), ("number", 1.5),
                 ("boolean", True), ("boolean", False), ("null", None),
                 ("object", {}), ("object", {"a": 1}), ("array", []),
                 ("array", ["x"])]
        expected_type = {"roomName": "string", "autoDeletionDate": "number",
                         "autoDeletionPolicy": "object", "config": "object"}
        for field, want in expected_type.items():
            for got_type, value in types:
                if got_type == want:
                    continue
                rows.append(({field: value}, 422, invalid(d(
                    field, "Expected %s, received %s" % (want, got_type)))))
        # Strings that look like numbers are still strings.
        rows.append(({"autoDeletionDate": str(now_ms() + 2 * HOUR_MS)}, 422,
                     invalid(d("autoDeletionDate",
                               "Expected number, received string"))))
        self.table("POST", "/rooms", rows)

    def test_create_room_name(self):
        self.table("POST", "/rooms", [
            ({"roomName": "x" * 51}, 422, invalid(d(
                "roomName", "roomName cannot exceed 50 characters"))),
            ({"roomName": "x" * 200}, 422, invalid(d(
                "roomName", "roomName cannot exceed 50 characters"))),
            # Length is checked before sanitising.
            ({"roomName": "a" + " " * 49 + "b"}, 422, invalid(d(
                "roomName", "roomName cannot exceed 50 characters"))),
            ({"roomName": "   " + "y" * 48}, 422, invalid(d(
                "roomName", "roomName cannot exceed 50 characters"))),
        ])
        for name, stored in (("x" * 50, "x" * 50),
                             ("é" * 50, "é" * 50),     # characters, not bytes
                             ("a" + " " * 48 + "b", "a b"),
                             ("  Trim\tme \n now ", "Trim me now"),
                             ("0", "0")):
            with self.subTest(name=name):
                self.assertEqual(self.create({"roomName": name})["roomName"],
                                 stored)
        # A name that sanitises to "" makes the reference's store fail with
        # a 500 (§6.1); meetd never answers a client's input with a 500 and
        # reports it as the 422 it is.
        for name in ("", "   ", "\t\n"):
            with self.subTest(name=name):
                self.expect("POST", "/rooms", 422, {
                    "error": "Unprocessable Entity",
                    "message": "Invalid request",
                    "details": [{"field": "roomName",
                                 "message": "roomName cannot be empty"}]},
                    {"roomName": name})

    def test_create_auto_deletion_date(self):
        now = now_ms()
        self.table("POST", "/rooms", [
            # Both checks run: a negative or zero date gets both messages.
            ({"autoDeletionDate": -1}, 422, invalid(
                d("autoDeletionDate", DATE_POSITIVE),
                d("autoDeletionDate", DATE_1H))),
            ({"autoDeletionDate": 0}, 422, invalid(
                d("autoDeletionDate", DATE_POSITIVE),
                d("autoDeletionDate", DATE_1H))),
            ({"autoDeletionDate": -now - 5 * HOUR_MS}, 422, invalid(
                d("autoDeletionDate", DATE_POSITIVE),
                d("autoDeletionDate", DATE_1H))),
            ({"autoDeletionDate": -0.5}, 422, invalid(
                d("autoDeletionDate", DATE_POSITIVE),
                d("autoDeletionDate", DATE_1H))),
            ({"autoDeletionDate": 1}, 422, invalid(
                d("autoDeletionDate", DATE_1H))),
            ({"autoDeletionDate": now - HOUR_MS}, 422, invalid(
                d("autoDeletionDate", DATE_1H))),
            ({"autoDeletionDate": now + HOUR_MS - 60000}, 422, invalid(
                d("autoDeletionDate", DATE_1H))),
        ])
        for date in (now + HOUR_MS + 60000, now + 2 * HOUR_MS + 0.5,
                     now + 3 * HOUR_MS + 0.25):
            with self.subTest(date=date):
                room = self.create({"autoDeletionDate": date})
                self.assertEqual(room["autoDeletionDate"], date)
                self.assertEqual(room["autoDeletionPolicy"], DEFAULT_POLICY)

    def test_create_auto_deletion_policy(self):
        WM, WR = "autoDeletionPolicy.withMeeting", "autoDeletionPolicy.withRecordings"
        self.table("POST", "/rooms", [
            ({"autoDeletionPolicy": {}}, 422, invalid(
                d(WM, "Required"), d(WR, "Required"))),
            ({"autoDeletionPolicy": {"other": 1}}, 422, invalid(
                d(WM, "Required"), d(WR, "Required"))),
            ({"autoDeletionPolicy": {"withMeeting": "force"}}, 422, invalid(
                d(WR, "Required"))),
            ({"autoDeletionPolicy": {"withRecordings": "close"}}, 422, invalid(
                d(WM, "Required"))),
            ({"autoDeletionPolicy": {"withMeeting": "bad",
                                     "withRecordings": "close"}}, 422, invalid(
                d(WM, enum_msg(WITH_MEETING, "bad")))),
            ({"autoDeletionPolicy": {"withMeeting": "force",
                                     "withRecordings": "bad"}}, 422, invalid(
                d(WR, enum_msg(WITH_RECORDINGS, "bad")))),
            ({"autoDeletionPolicy": {"withMeeting": "close",
                                     "withRecordings": "when_meeting_ends"}},
             422, invalid(
                d(WM, enum_msg(WITH_MEETING, "close")),
                d(WR, enum_msg(WITH_RECORDINGS, "when_meeting_ends")))),
            ({"autoDeletionPolicy": {"withMeeting": "FORCE",
                                     "withRecordings": ""}}, 422, invalid(
                d(WM, enum_msg(WITH_MEETING, "FORCE")),
                d(WR, enum_msg(WITH_RECORDINGS, "")))),
            ({"autoDeletionPolicy": {"withRecordings": "x"}}, 422, invalid(
                d(WM, "Required"), d(WR, enum_msg(WITH_RECORDINGS, "x")))),
            # fail is rejected for each key, and for both in order.
            ({"autoDeletionPolicy": {"withMeeting": "fail",
                                     "withRecordings": "close"}}, 422, invalid(
                d(WM, FAIL_MEETING))),
            ({"autoDeletionPolicy": {"withMeeting": "force",
                                     "withRecordings": "fail"}}, 422, invalid(
                d(WR, FAIL_RECORDINGS))),
            ({"autoDeletionPolicy": {"withRecordings": "fail",
                                     "withMeeting": "fail"}}, 422, invalid(
                d(WM, FAIL_MEETING), d(WR, FAIL_RECORDINGS))),
            # The fail refinements only run on a structurally valid policy.
            ({"autoDeletionPolicy": {"withMeeting": "fail"}}, 422, invalid(
                d(WR, "Required"))),
            ({"autoDeletionPolicy": {"withMeeting": "fail",
                                     "withRecordings": "bad"}}, 422, invalid(
                d(WR, enum_msg(WITH_RECORDINGS, "bad")))),
        ])
        for wm in ("force", "when_meeting_ends"):
            for wr in ("force", "close"):
                with self.subTest(wm=wm, wr=wr):
                    room = self.create({"autoDeletionPolicy": {
                        "withMeeting": wm, "withRecordings": wr, "x": 1}})
                    self.assertEqual(room["autoDeletionPolicy"],
                                     {"withMeeting": wm, "withRecordings": wr})

    def test_create_config_sections(self):
        rows = []
        for s in SECTIONS:
            base = "config." + s
            rows += [
                ({"config": {s: {}}}, 422, invalid(d(base + ".enabled", "Required"))),
                ({"config": {s: {"other": True}}}, 422, invalid(
                    d(base + ".enabled", "Required"))),
            ]
            for t, v in (("string", "true"), ("number", 1), ("null", None),
                         ("object", {}), ("array", [])):
                rows.append(({"config": {s: {"enabled": v}}}, 422, invalid(
                    d(base + ".enabled", "Expected boolean, received %s" % t))))
            for t, v in (("null", None), ("string", "x"), ("number", 0),
                         ("boolean", True), ("array", []),
                         ("array", [{"enabled": True}])):
                rows.append(({"config": {s: v}}, 422, invalid(
                    d(base, "Expected object, received %s" % t))))
        R = "config.recording."
        rows += [
            ({"config": {"recording": {"layout": "speaker"}}}, 422, invalid(
                d(R + "enabled", "Required"))),
            ({"config": {"recording": {"enabled": True, "layout": "bad"}}}, 422,
             invalid(d(R + "layout", enum_msg(LAYOUTS, "bad")))),
            ({"config": {"recording": {"enabled": True, "layout": "GRID"}}}, 422,
             invalid(d(R + "layout", enum_msg(LAYOUTS, "GRID")))),
            ({"config": {"recording": {"enabled": True, "layout": ""}}}, 422,
             invalid(d(R + "layout", enum_msg(LAYOUTS, "")))),
            ({"config": {"recording": {"enabled": True,
                                       "allowAccessTo": "bad"}}}, 422,
             invalid(d(R + "allowAccessTo", enum_msg(ACCESS, "bad")))),
            ({"config": {"recording": {"enabled": True,
                                       "allowAccessTo": "moderator"}}}, 422,
             invalid(d(R + "allowAccessTo", enum_msg(ACCESS, "moderator")))),
            ({"config": {"recording": {"enabled": True, "layout": "x",
                                       "allowAccessTo": "y"}}}, 422,
             invalid(d(R + "layout", enum_msg(LAYOUTS, "x")),
                     d(R + "allowAccessTo", enum_msg(ACCESS, "y")))),
        ]
        self.table("POST", "/rooms", rows)

    def test_create_config_defaults_per_section(self):
        cases = [
            ({}, DEFAULT_CONFIG),
            ({"config": {}}, DEFAULT_CONFIG),
            ({"config": {"chat": {"enabled": False}}},
             with_(DEFAULT_CONFIG, chat={"enabled": False})),
            ({"config": {"virtualBackground": {"enabled": False}}},
             with_(DEFAULT_CONFIG, virtualBackground={"enabled": False})),
            ({"config": {"captions": {"enabled": False}}},
             with_(DEFAULT_CONFIG, captions={"enabled": False})),
            ({"config": {"e2ee": {"enabled": False}}}, DEFAULT_CONFIG),
            ({"config": {"recording": {"enabled": False}}},
             with_(DEFAULT_CONFIG, recording=with_(DEFAULT_RECORDING,
                                                   enabled=False))),
            ({"config": {"recording": {"enabled": True, "layout": "speaker"}}},
             with_(DEFAULT_CONFIG, recording=with_(DEFAULT_RECORDING,
                                                   layout="speaker"))),
            ({"config": {"recording": {"enabled": True,
                                       "allowAccessTo": "admin"}}},
             with_(DEFAULT_CONFIG, recording=with_(DEFAULT_RECORDING,
                                                   allowAccessTo="admin"))),
            ({"config": {"recording": {"enabled": True,
                                       "encoding": "H264_1080P_60"}}},
             with_(DEFAULT_CONFIG, recording=with_(DEFAULT_RECORDING,
                                                   encoding="H264_1080P_60"))),
            # Unknown sections and unknown keys inside sections are dropped.
            ({"config": {"appearance": {"themes": []}, "other": 1,
                         "recording": {"enabled": True, "extra": "x"},
                         "captions": {"enabled": True, "extra": 2}}},
             DEFAULT_CONFIG),
            # e2ee rule: recording is silently disabled.
            ({"config": {"e2ee": {"enabled": True}}},
             with_(DEFAULT_CONFIG, e2ee={"enabled": True},
                   recording=with_(DEFAULT_RECORDING, enabled=False))),
            ({"config": {"e2ee": {"enabled": True},
                         "recording": {"enabled": True, "layout": "single-speaker"}}},
             with_(DEFAULT_CONFIG, e2ee={"enabled": True},
                   recording=with_(DEFAULT_RECORDING, enabled=False,
                                   layout="single-speaker"))),
            ({"config": {"e2ee": {"enabled": True},
                         "recording": {"enabled": False}}},
             with_(DEFAULT_CONFIG, e2ee={"enabled": True},
                   recording=with_(DEFAULT_RECORDING, enabled=False))),
        ]
        for layout in ("grid", "speaker", "single-speaker"):
            cases.append(({"config": {"recording": {"enabled": True,
                                                    "layout": layout}}},
                          with_(DEFAULT_CONFIG, recording=with_(
                              DEFAULT_RECORDING, layout=layout))))
        for access in ("admin", "admin_moderator", "admin_moderator_speaker"):
            cases.append(({"config": {"recording": {"enabled": True,
                                                    "allowAccessTo": access}}},
                          with_(DEFAULT_CONFIG, recording=with_(
                              DEFAULT_RECORDING, allowAccessTo=access))))
        for preset in PRESETS:
            cases.append((enc(preset), with_(DEFAULT_CONFIG, recording=with_(
                DEFAULT_RECORDING, encoding=preset))))
        for body, config in cases:
            with self.subTest(body=json.dumps(body)):
                room = self.create(body)
                self.assertEqual(room["config"], config)
                self.assertEqual(list(room["config"].keys()),
                                 ["chat", "recording", "virtualBackground",
                                  "e2ee", "captions"])
                self.assertEqual(room["roomName"], "Room")
                self.assertEqual(room["autoDeletionPolicy"], DEFAULT_POLICY)
                self.assertNotIn("autoDeletionDate", room)
                self.expect("GET", "/rooms/%s/config" % room["roomId"], 200,
                            config)

    def encoding_rows(self, prefix):
        """(encoding value, [details]) for every row of the §4.1 table."""
        def dd(sub, message):
            return d(prefix + sub, message)
        rows = [
            ("BAD", [dd("", BAD_PRESET)]),
            ("h264_720p_30", [dd("", BAD_PRESET)]),
            ("", [dd("", BAD_PRESET)]),
            (" H264_720P_30", [dd("", BAD_PRESET)]),
            (None, [dd("", ENC_TYPE)]),
            (5, [dd("", ENC_TYPE)]),
            (0, [dd("", ENC_TYPE)]),
            (True, [dd("", ENC_TYPE)]),
            (False, [dd("", ENC_TYPE)]),
            ({}, [dd("", ENC_BOTH)]),
            ([], [dd("", ENC_BOTH)]),
            ([VIDEO, AUDIO], [dd("", ENC_BOTH)]),
            ({"video": VIDEO}, [dd("", ENC_BOTH)]),
            ({"audio": AUDIO}, [dd("", ENC_BOTH)]),
            ({"video": 0, "audio": AUDIO}, [dd("", ENC_BOTH)]),
            ({"video": None, "audio": AUDIO}, [dd("", ENC_BOTH)]),
            ({"video": "", "audio": AUDIO}, [dd("", ENC_BOTH)]),
            ({"video": VIDEO, "audio": False}, [dd("", ENC_BOTH)]),
            ({"video": VIDEO, "audio": None}, [dd("", ENC_BOTH)]),
            ({"video": 1, "audio": AUDIO}, [dd("", ENC_VIDEO_OBJ)]),
            ({"video": "x", "audio": AUDIO}, [dd("", ENC_VIDEO_OBJ)]),
            ({"video": True, "audio": 5}, [dd("", ENC_VIDEO_OBJ)]),
            ({"video": VIDEO, "audio": "x"}, [dd("", ENC_AUDIO_OBJ)]),
            ({"video": VIDEO, "audio": 7}, [dd("", ENC_AUDIO_OBJ)]),
            # Missing keys: the "missing" entry, then a Required entry.
            ({"video": without(VIDEO, "height", "depth"), "audio": AUDIO},
             [dd(".video", missing_video("height", "depth")),
              dd(".video.height", "Required"), dd(".video.depth", "Required")]),
            ({"video": without(VIDEO, "keyFrameInterval"), "audio": AUDIO},
             [dd(".video", missing_video("keyFrameInterval")),
              dd(".video.keyFrameInterval", "Required")]),
            ({"video": VIDEO, "audio": without(AUDIO, "frequency")},
             [dd(".audio", missing_audio("frequency")),
              dd(".audio.frequency", "Required")]),
            ({"video": without(VIDEO, "codec"),
              "audio": without(AUDIO, "codec", "bitrate")},
             [dd(".video", missing_video("codec")),
              dd(".audio", missing_audio("codec", "bitrate")),
              dd(".video.codec", "Required"),
              dd(".audio.codec", "Required"), dd(".audio.bitrate", "Required")]),
            ({"video": {}, "audio": {}},
             [dd(".video", missing_video("width", "height", "framerate",
                                         "codec", "bitrate",
                                         "keyFrameInterval", "depth")),
              dd(".audio", missing_audio("codec", "bitrate", "frequency"))]
             + [dd(".video." + k, "Required") for k in
                ("width", "height", "framerate", "codec", "bitrate",
                 "keyFrameInterval", "depth")]
             + [dd(".audio." + k, "Required") for k in
                ("codec", "bitrate", "frequency")]),
            ({"video": {"extra": 1}, "audio": AUDIO},
             [dd(".video", missing_video("width", "height", "framerate",
                                         "codec", "bitrate",
                                         "keyFrameInterval", "depth"))]
             + [dd(".video." + k, "Required") for k in
                ("width", "height", "framerate", "codec", "bitrate",
                 "keyFrameInterval", "depth")]),
            # A present key with a wrong type is not "missing".
            ({"video": with_(VIDEO, width="1280"), "audio": AUDIO},
             [dd(".video.width", "Expected number, received string")]),
            ({"video": with_(VIDEO, height=None), "audio": AUDIO},
             [dd(".video.height", "Expected number, received null")]),
            ({"video": with_(VIDEO, framerate=True), "audio": AUDIO},
             [dd(".video.framerate", "Expected number, received boolean")]),
            ({"video": with_(VIDEO, bitrate=[]), "audio": AUDIO},
             [dd(".video.bitrate", "Expected number, received array")]),
            ({"video": with_(VIDEO, keyFrameInterval={}), "audio": AUDIO},
             [dd(".video.keyFrameInterval", "Expected number, received object")]),
            ({"video": with_(VIDEO, depth="24"), "audio": AUDIO},
             [dd(".video.depth", "Expected number, received string")]),
            ({"video": VIDEO, "audio": with_(AUDIO, bitrate="128")},
             [dd(".audio.bitrate", "Expected number, received string")]),
            ({"video": VIDEO, "audio": with_(AUDIO, frequency=None)},
             [dd(".audio.frequency", "Expected number, received null")]),
            # Codec enums.
            ({"video": with_(VIDEO, codec="H265"), "audio": AUDIO},
             [dd(".video.codec", enum_msg(VIDEO_CODECS, "H265"))]),
            ({"video": with_(VIDEO, codec="h264_main"), "audio": AUDIO},
             [dd(".video.codec", enum_msg(VIDEO_CODECS, "h264_main"))]),
            ({"video": VIDEO, "audio": with_(AUDIO, codec="MP3")},
             [dd(".audio.codec", enum_msg(AUDIO_CODECS, "MP3"))]),
            ({"video": with_(VIDEO, codec="OPUS"),
              "audio": with_(AUDIO, codec="VP8")},
             [dd(".video.codec", enum_msg(VIDEO_CODECS, "OPUS")),
              dd(".audio.codec", enum_msg(AUDIO_CODECS, "VP8"))]),
        ]
        # Non-positive numbers, one key at a time.
        for k in ("width", "height", "framerate", "bitrate",
                  "keyFrameInterval", "depth"):
            for v in (0, -1, -0.5):
                rows.append(({"video": with_(VIDEO, **{k: v}), "audio": AUDIO},
                             [dd(".video." + k,
                                 "Video %s must be a positive number" % k)]))
        for k in ("bitrate", "frequency"):
            for v in (0, -44100):
                rows.append(({"video": VIDEO, "audio": with_(AUDIO, **{k: v})},
                             [dd(".audio." + k,
                                 "Audio %s must be a positive number" % k)]))
        # Everything wrong at once: schema order.
        rows.append((
            {"audio": {"frequency": 0, "codec": "X", "bitrate": "1"},
             "video": {"depth": -1, "codec": "bad", "height": "h",
                       "framerate": 0, "bitrate": 1, "keyFrameInterval": 0}},
            [dd(".video", missing_video("width")),
             dd(".video.width", "Required"),
             dd(".video.height", "Expected number, received string"),
             dd(".video.framerate", "Video framerate must be a positive number"),
             dd(".video.codec", enum_msg(VIDEO_CODECS, "bad")),
             dd(".video.keyFrameInterval",
                "Video keyFrameInterval must be a positive number"),
             dd(".video.depth", "Video depth must be a positive number"),
             dd(".audio.codec", enum_msg(AUDIO_CODECS, "X")),
             dd(".audio.bitrate", "Expected number, received string"),
             dd(".audio.frequency", "Audio frequency must be a positive number")]))
        return rows

    def test_create_encoding_errors(self):
        rows = [(enc(value), 422, invalid(*details))
                for value, details in self.encoding_rows(P)]
        self.table("POST", "/rooms", rows)

    def test_create_encoding_objects_are_kept_as_given(self):
        cases = [
            {"video": VIDEO, "audio": AUDIO},
            # Non-integer positive numbers are accepted.
            {"video": with_(VIDEO, width=1280.5, framerate=29.97),
             "audio": with_(AUDIO, bitrate=0.5)},
            # Unknown keys inside an encoding object are kept, at any depth.
            {"video": with_(VIDEO, profile="main"), "audio": AUDIO,
             "custom": {"a": [1, 2]}, "note": "kept"},
            {"audio": with_(AUDIO, channels=2), "video": VIDEO},
        ]
        for codec in ("DEFAULT_VC", "H264_BASELINE", "H264_MAIN", "H264_HIGH",
                      "VP8"):
            cases.append({"video": with_(VIDEO, codec=codec), "audio": AUDIO})
        for codec in ("DEFAULT_AC", "OPUS", "AAC", "AC_MP3"):
            cases.append({"video": VIDEO, "audio": with_(AUDIO, codec=codec)})
        for value in cases:
            with self.subTest(encoding=json.dumps(value)):
                room = self.create(enc(value))
                self.assertEqual(room["config"]["recording"]["encoding"], value)
                _, _, got = self.req("GET", "/rooms/" + room["roomId"])
                self.assertEqual(got["config"]["recording"]["encoding"], value)

    def test_create_multiple_errors_in_schema_order(self):
        now = now_ms()
        self.table("POST", "/rooms", [
            # Keys given in reverse order; details follow the schema order
            # roomName, autoDeletionDate, autoDeletionPolicy, config.
            ({"config": {"chat": {}}, "autoDeletionPolicy": {"withMeeting": "x"},
              "autoDeletionDate": "soon", "roomName": 5}, 422, invalid(
                d("roomName", "Expected string, received number"),
                d("autoDeletionDate", "Expected number, received string"),
                d("autoDeletionPolicy.withMeeting", enum_msg(WITH_MEETING, "x")),
                d("autoDeletionPolicy.withRecordings", "Required"),
                d("config.chat.enabled", "Required"))),
            ({"autoDeletionPolicy": {"withMeeting": "fail",
                                     "withRecordings": "fail"},
              "roomName": "n" * 60, "autoDeletionDate": -5}, 422, invalid(
                d("roomName", "roomName cannot exceed 50 characters"),
                d("autoDeletionDate", DATE_POSITIVE),
                d("autoDeletionDate", DATE_1H),
                d("autoDeletionPolicy.withMeeting", FAIL_MEETING),
                d("autoDeletionPolicy.withRecordings", FAIL_RECORDINGS))),
            ({"config": {"captions": {}, "e2ee": {"enabled": "no"},
                         "virtualBackground": None, "chat": {"enabled": 1},
                         "recording": {"allowAccessTo": "nope", "encoding": 5,
                                       "layout": "bad", "enabled": "x"}}},
             422, invalid(
                d("config.recording.enabled", "Expected boolean, received string"),
                d("config.recording.layout", enum_msg(LAYOUTS, "bad")),
                d(P, ENC_TYPE),
                d("config.recording.allowAccessTo", enum_msg(ACCESS, "nope")),
                d("config.chat.enabled", "Expected boolean, received number"),
                d("config.virtualBackground", "Expected object, received null"),
                d("config.e2ee.enabled", "Expected boolean, received string"),
                d("config.captions.enabled", "Required"))),
            ({"roomName": None, "autoDeletionDate": now + 1000,
              "autoDeletionPolicy": [],
              "config": {"recording": {"enabled": True,
                                       "encoding": {"video": {}, "audio": AUDIO}}}},
             422, invalid(
                d("roomName", "Expected string, received null"),
                d("autoDeletionDate", DATE_1H),
                d("autoDeletionPolicy", "Expected object, received array"),
                d(P + ".video", missing_video(
                    "width", "height", "framerate", "codec", "bitrate",
                    "keyFrameInterval", "depth")),
                *[d(P + ".video." + k, "Required") for k in
                  ("width", "height", "framerate", "codec", "bitrate",
                   "keyFrameInterval", "depth")])),
        ])

    def test_create_unknown_top_level_keys_are_dropped(self):
        room = self.create({"roomId": "chosen-id", "status": "closed",
                            "meetingEndAction": "delete", "creationDate": 1,
                            "moderatorUrl": "x", "extra": {"a": 1}})
        self.assertNotEqual(room["roomId"], "chosen-id")
        self.assertTrue(room["roomId"].startswith("room-"))
        self.assertEqual(room["status"], "open")
        self.assertEqual(room["meetingEndAction"], "none")
        self.assertGreater(room["creationDate"], 1)
        self.assertNotIn("extra", room)

    # ---- §4 roomId path rule -------------------------------------------

    def test_room_id_path_rule(self):
        long_id = "a" * 101
        cases = [
            (long_id, "roomId cannot exceed 100 characters"),
            ("a" * 99 + "%21%21", "roomId cannot exceed 100 characters"),
            ("%20" * 101, "roomId cannot exceed 100 characters"),
            ("%21%21", "roomId cannot be empty after sanitization"),
            ("%21", "roomId cannot be empty after sanitization"),
            ("%20%20", "roomId cannot be empty after sanitization"),
            ("%C3%A9%C3%B1", "roomId cannot be empty after sanitization"),
            ("%2E%2E%2E", "roomId cannot be empty after sanitization"),
            ("%40%23%24%25", "roomId cannot be empty after sanitization"),
        ]
        for rid, message in cases:
            targets = [
                ("GET", "/rooms/" + rid, None, "roomId"),
                ("GET", "/rooms/%s?fields=roomName" % rid, None, "roomId"),
                ("GET", "/rooms/%s/config" % rid, None, "roomId"),
                # Path validation comes before body validation.
                ("PUT", "/rooms/%s/config" % rid, {"config": {"chat": {}}}, "roomId"),
                ("PUT", "/rooms/%s/config" % rid, {}, "roomId"),
                ("PUT", "/rooms/%s/status" % rid, {"status": "bad"}, "roomId"),
                ("PUT", "/rooms/%s/status" % rid, {"status": "open"}, "roomId"),
                # DELETE /rooms/{id} reports the path error with field "",
                # before the query is validated.
                ("DELETE", "/rooms/" + rid, None, ""),
                ("DELETE", "/rooms/%s?withMeeting=bad&withRecordings=bad" % rid,
                 None, ""),
            ]
            for method, path, body, field in targets:
                with self.subTest(method=method, path=path, body=body):
                    self.expect(method, path, 422,
                                invalid(d(field, message)), body)

    def test_room_id_is_sanitised_before_lookup(self):
        for method, path, body in (
                ("GET", "/rooms/", None), ("GET", "/rooms/%s/config", None),
                ("PUT", "/rooms/%s/config", {"config": {}}),
                ("PUT", "/rooms/%s/status", {"status": "open"}),
                ("DELETE", "/rooms/", None)):
            # 100 characters is still within the limit.
            for raw, clean in (("ab%21cd", "abcd"), ("%20x_y-z%20", "x_y-z"),
                               ("%41bc%2F", "Abc"), ("q" * 100, "q" * 100),
                               ("%C3%A9t%C3%A9", "t"), ("a.b", "ab")):
                p = path + raw if path.endswith("/") else path % raw
                with self.subTest(method=method, path=p):
                    self.expect(method, p, 404, room_error(clean), body)
        # Ids are case-sensitive even though routing is not.
        room = self.create({"roomName": "Case"})
        upper = room["roomId"].upper()
        self.expect("GET", "/rooms/" + upper, 404, room_error(upper))
        # A sanitised id finds the room on every endpoint.
        rid = room["roomId"]
        noisy = urllib.parse.quote(" %s! " % rid) + "%C3%A9"
        got = self.expect("GET", "/rooms/" + noisy, 200, None)
        self.assertEqual(got["roomId"], rid)
        self.expect("GET", "/rooms/%s/config" % noisy, 200, room["config"])
        self.expect("PUT", "/rooms/%s/config" % noisy, 200, {
            "message": "Room config for room '%s' updated successfully" % rid},
            {"config": {}})
        got = self.expect("PUT", "/rooms/%s/status" % noisy, 200, None,
                          {"status": "closed"})
        self.assertEqual(got["message"], "Room '%s' closed successfully" % rid)
        self.expect("DELETE", "/rooms/" + noisy, 200, {
            "successCode": "room_deleted",
            "message": "Room '%s' deleted successfully" % rid})
        self.expect("GET", "/rooms/" + rid, 404, room_error(rid))

    # ---- §6.2 GET /rooms -----------------------------------------------

    def test_list_query_validation(self):
        self.create({"roomName": "list"})
        M = "maxItems"
        nan = d(M, "Expected number, received nan")
        positive = d(M, "maxItems must be a positive number")
        rows = [
            ("maxItems=abc", [nan]),
            ("maxItems=5abc", [nan]),
            ("maxItems=1%2C2", [nan]),
            ("maxItems=5&maxItems=6", [nan]),
            ("maxItems=0", [positive]),
            ("maxItems=-1", [positive]),
            ("maxItems=-0.5", [positive]),
            ("maxItems=", [positive]),
            ("maxItems=%20", [positive]),
            ("status=bad", [d("status", enum_msg(ROOM_STATUSES, "bad"))]),
            ("status=OPEN", [d("status", enum_msg(ROOM_STATUSES, "OPEN"))]),
            ("status=", [d("status", enum_msg(ROOM_STATUSES, ""))]),
            ("sortField=name", [d("sortField", enum_msg(SORT_FIELDS, "name"))]),
            ("sortField=creationdate",
             [d("sortField", enum_msg(SORT_FIELDS, "creationdate"))]),
            ("sortField=status", [d("sortField", enum_msg(SORT_FIELDS, "status"))]),
            ("sortOrder=up", [d("sortOrder", enum_msg("'asc' | 'desc'", "up"))]),
            ("sortOrder=ASC", [d("sortOrder", enum_msg("'asc' | 'desc'", "ASC"))]),
            ("sortOrder=", [d("sortOrder", enum_msg("'asc' | 'desc'", ""))]),
            ("fields=roomName&fields=status",
             [d("fields", "Expected string, received array")]),
            ("fields%5Ba%5D=b", [d("fields", "Expected string, received object")]),
            ("fields[a]=b", [d("fields", "Expected string, received object")]),
            ("roomName=a&roomName=b",
             [d("roomName", "Expected string, received array")]),
            ("roomName[x]=y", [d("roomName", "Expected string, received object")]),
            # Several errors: schema order roomName, status, fields, maxItems,
            # nextPageToken, sortField, sortOrder.
            ("sortOrder=x&sortField=y&maxItems=0&fields[a]=1&status=z"
             "&roomName=a&roomName=b",
             [d("roomName", "Expected string, received array"),
              d("status", enum_msg(ROOM_STATUSES, "z")),
              d("fields", "Expected string, received object"),
              positive,
              d("sortField", enum_msg(SORT_FIELDS, "y")),
              d("sortOrder", enum_msg("'asc' | 'desc'", "x"))]),
        ]
        for query, details in rows:
            with self.subTest(query=query):
                self.expect("GET", "/rooms?" + query, 422, invalid(*details))

    def test_list_max_items_coercion(self):
        for _ in range(12):
            self.create({"roomName": "page"})
        for value, effective in (("1000", 100), ("101", 100), ("100", 100),
                                 ("5.7", 5), ("1.999", 1), ("1", 1),
                                 ("1e1", 10), ("%203%20", 3), ("+2", 2),
                                 ("2.0", 2)):
            with self.subTest(maxItems=value):
                body = self.expect("GET", "/rooms?maxItems=" + value, 200, None)
                self.assertEqual(body["pagination"]["maxItems"], effective)
                if effective <= 12:
                    self.assertEqual(len(body["rooms"]), effective)
                self.assertLessEqual(len(body["rooms"]), effective)
        body = self.expect("GET", "/rooms", 200, None)
        self.assertEqual(body["pagination"]["maxItems"], 10)
        self.assertEqual(len(body["rooms"]), 10)
        # 0 < x < 1 floors to 0: an empty, truncated page (quirk).
        for value in ("0.5", "0.001", "0.99"):
            with self.subTest(maxItems=value):
                body = self.expect("GET", "/rooms?maxItems=" + value, 200, None)
                self.assertEqual(body["rooms"], [])
                self.assertEqual(body["pagination"]["maxItems"], 0)
                self.assertTrue(body["pagination"]["isTruncated"])

    def test_list_valid_enums_and_unknown_params(self):
        for query in ("status=open", "status=active_meeting", "status=closed",
                      "sortField=creationDate", "sortField=roomName",
                      "sortField=autoDeletionDate", "sortOrder=asc",
                      "sortOrder=desc", "fields=", "fields=nope",
                      "unknown=1", "roomName=", "roomName=%28",
                      "nextPageToken="):
            with self.subTest(query=query):
                body = self.expect("GET", "/rooms?" + query, 200, None)
                self.assertEqual(set(body.keys()), {"rooms", "pagination"})

    def test_list_undecodable_next_page_token_is_422(self):
        # meetd deliberately differs: 422 instead of the reference's 500.
        message = ("Invalid nextPageToken: it does not come from a previous "
                   "page with the same sortField and sortOrder")
        for tok in ("garbage!", "e30", "eyJ4IjoxfQ", "%00", "AAAA", "x" * 300,
                    urllib.parse.quote("{\"fieldValue\":1}")):
            with self.subTest(token=tok):
                self.expect("GET", "/rooms?nextPageToken=" + tok, 422,
                            invalid(d("nextPageToken", message)))
        # Query validation comes first.
        self.expect("GET", "/rooms?nextPageToken=garbage!&sortOrder=x", 422,
                    invalid(d("sortOrder", enum_msg("'asc' | 'desc'", "x"))))

    # ---- §6.7 PUT config -------------------------------------------------

    def test_update_config_validation(self):
        room = self.create({"roomName": "cfg-errors"})
        path = "/rooms/%s/config" % room["roomId"]
        rows = [
            ({}, [d("config", "Required")]),
            ({"configuration": {}}, [d("config", "Required")]),
            ({"config": None}, [d("config", "Expected object, received null")]),
            ({"config": "x"}, [d("config", "Expected object, received string")]),
            ({"config": 5}, [d("config", "Expected object, received number")]),
            ({"config": True}, [d("config", "Expected object, received boolean")]),
            ({"config": []}, [d("config", "Expected object, received array")]),
            ({"config": {"recording": {"layout": "speaker"}}},
             [d("config.recording.enabled", "Required")]),
            ({"config": {"recording": {"enabled": True, "layout": "x"}}},
             [d("config.recording.layout", enum_msg(LAYOUTS, "x"))]),
            ({"config": {"recording": {"enabled": True, "allowAccessTo": "x"}}},
             [d("config.recording.allowAccessTo", enum_msg(ACCESS, "x"))]),
            ({"config": {"captions": {}, "recording": {}, "chat": {}}},
             [d("config.recording.enabled", "Required"),
              d("config.chat.enabled", "Required"),
              d("config.captions.enabled", "Required")]),
        ]
        for s in SECTIONS:
            rows += [
                ({"config": {s: {}}}, [d("config.%s.enabled" % s, "Required")]),
                ({"config": {s: {"enabled": "false"}}},
                 [d("config.%s.enabled" % s, "Expected boolean, received string")]),
                ({"config": {s: None}},
                 [d("config." + s, "Expected object, received null")]),
                ({"config": {s: []}},
                 [d("config." + s, "Expected object, received array")]),
            ]
        for value, details in self.encoding_rows(P):
            rows.append(({"config": {"recording": {"enabled": True,
                                                   "encoding": value}}},
                         details))
        for body, details in rows:
            with self.subTest(body=json.dumps(body)):
                self.expect("PUT", path, 422, invalid(*details), body)
        # Nothing changed, and validation comes before the 404.
        self.expect("GET", path, 200, room["config"])
        self.expect("PUT", "/rooms/no-such-room/config", 422,
                    invalid(d("config", "Required")), {})
        self.expect("PUT", "/rooms/no-such-room/config", 422, invalid(
            d("config.chat.enabled", "Required")), {"config": {"chat": {}}})
        for body in ({"config": {}}, {"config": {"chat": {"enabled": False}}}):
            with self.subTest(body=body):
                self.expect("PUT", "/rooms/no-such-room/config", 404,
                            room_error("no-such-room"), body)

    def test_update_config_deep_merge(self):
        room = self.create({"roomName": "merge", "config": {
            "recording": {"enabled": True, "layout": "speaker",
                          "allowAccessTo": "admin",
                          "encoding": {"video": with_(VIDEO, profile="p"),
                                       "audio": AUDIO, "custom": 1}},
            "chat": {"enabled": False}}})
        rid = room["roomId"]
        path = "/rooms/%s/config" % rid
        ok = {"message": "Room config for room '%s' updated successfully" % rid}
        cfg = copy.deepcopy(room["config"])

        def put(config, expect_cfg):
            self.expect("PUT", path, 200, ok, {"config": config})
            self.expect("GET", path, 200, expect_cfg)

        # {} changes nothing; other keys of the body are dropped.
        self.expect("PUT", path, 200, ok, {"config": {}, "roomName": "x",
                                           "status": "closed"})
        self.expect("GET", path, 200, cfg)
        got = self.expect("GET", "/rooms/" + rid, 200, None)
        self.assertEqual((got["roomName"], got["status"]), ("merge", "open"))
        # A section update keeps the section's other keys and other sections.
        cfg["recording"]["enabled"] = False
        put({"recording": {"enabled": False}}, cfg)
        cfg["recording"]["enabled"] = True
        put({"recording": {"enabled": True}}, cfg)
        # A preset string replaces an object, and an object a string.
        new_enc = {"video": with_(VIDEO, width=640), "audio": with_(AUDIO, bitrate=64)}
        cfg["recording"]["encoding"] = "PORTRAIT_H264_1080P_60"
        put({"recording": {"enabled": True,
                           "encoding": "PORTRAIT_H264_1080P_60"}}, cfg)
        cfg["recording"]["encoding"] = new_enc
        put({"recording": {"enabled": True, "encoding": new_enc}}, cfg)
        # Unknown sections and unknown section keys are dropped.
        cfg["captions"] = {"enabled": False}
        put({"captions": {"enabled": False, "extra": 1},
             "appearance": {"themes": []}}, cfg)
        # e2ee after the merge: enabling it disables recording, and
        # re-enabling recording while it is on stays disabled.
        cfg["e2ee"] = {"enabled": True}
        cfg["recording"]["enabled"] = False
        put({"e2ee": {"enabled": True}}, cfg)
        put({"recording": {"enabled": True, "layout": "grid"}},
            with_(cfg, recording=with_(cfg["recording"], layout="grid")))
        cfg["recording"]["layout"] = "grid"
        cfg["e2ee"] = {"enabled": False}
        cfg["recording"]["enabled"] = True
        put({"e2ee": {"enabled": False}, "recording": {"enabled": True}}, cfg)
        self.assertEqual(list(self.req("GET", path)[2].keys()),
                         ["chat", "recording", "virtualBackground", "e2ee",
                          "captions"])
        # A closed room may be updated.
        self.expect("PUT", "/rooms/%s/status" % rid, 200, None,
                    {"status": "closed"})
        cfg["chat"] = {"enabled": True}
        put({"chat": {"enabled": True}}, cfg)

    def test_update_config_merges_encoding_objects_key_by_key(self):
        # §6.7: objects merge key by key, also an encoding object over a
        # stored encoding object, so stored keys the update does not name
        # (here the unknown "custom" and "video.profile") survive.
        stored = {"video": with_(VIDEO, profile="p"), "audio": AUDIO,
                  "custom": 1}
        room = self.create(enc(stored))
        rid = room["roomId"]
        path = "/rooms/%s/config" % rid
        update = {"video": with_(VIDEO, width=640),
                  "audio": with_(AUDIO, bitrate=64)}
        self.expect("PUT", path, 200, {
            "message": "Room config for room '%s' updated successfully" % rid},
            {"config": {"recording": {"enabled": True, "encoding": update}}})
        got = self.expect("GET", path, 200, None)
        self.assertEqual(got["recording"]["encoding"], {
            "video": with_(VIDEO, width=640, profile="p"),
            "audio": with_(AUDIO, bitrate=64), "custom": 1})

    # ---- §6.8 PUT status -------------------------------------------------

    def test_update_status(self):
        room = self.create({"roomName": "status-errors"})
        rid = room["roomId"]
        path = "/rooms/%s/status" % rid
        expected = "'open' | 'closed'"
        rows = [
            ({}, [d("status", "Required")]),
            ({"state": "open"}, [d("status", "Required")]),
            ({"status": "active_meeting"},
             [d("status", enum_msg(expected, "active_meeting"))]),
            ({"status": "bad"}, [d("status", enum_msg(expected, "bad"))]),
            ({"status": "OPEN"}, [d("status", enum_msg(expected, "OPEN"))]),
            ({"status": "Closed"}, [d("status", enum_msg(expected, "Closed"))]),
            ({"status": ""}, [d("status", enum_msg(expected, ""))]),
            ({"status": " open"}, [d("status", enum_msg(expected, " open"))]),
            # A non-string is a type error against the enum.
            ({"status": 5}, [d("status", "Expected %s, received number" % expected)]),
            ({"status": None}, [d("status", "Expected %s, received null" % expected)]),
            ({"status": True}, [d("status", "Expected %s, received boolean" % expected)]),
            ({"status": ["open"]}, [d("status", "Expected %s, received array" % expected)]),
            ({"status": {}}, [d("status", "Expected %s, received object" % expected)]),
        ]
        for body, details in rows:
            with self.subTest(body=json.dumps(body)):
                self.expect("PUT", path, 422, invalid(*details), body)
                # Validation comes before the 404.
                self.expect("PUT", "/rooms/gone-room/status", 422,
                            invalid(*details), body)
        for status in ("open", "closed"):
            with self.subTest(status=status):
                self.expect("PUT", "/rooms/gone-room/status", 404,
                            room_error("gone-room"), {"status": status})
        # Both success messages, with the full room; repeating is fine.
        for status in ("closed", "closed", "open", "open", "closed"):
            with self.subTest(status=status):
                got = self.expect("PUT", path, 200, None,
                                  {"status": status, "extra": 1})
                current = self.expect("GET", "/rooms/" + rid, 200, None)
                self.assertEqual(got, {
                    "message": "Room '%s' %s successfully" % (rid, status),
                    "room": current})
                self.assertEqual(current["status"], status)
                self.assertEqual(current["meetingEndAction"], "none")

    # ---- §6.5 DELETE /rooms/{id} -----------------------------------------

    def test_delete_one_query_validation(self):
        WMM = "withMeeting"
        WRR = "withRecordings"
        rows = [
            ("withMeeting=bad", [d(WMM, enum_msg(WITH_MEETING, "bad"))]),
            ("withMeeting=FORCE", [d(WMM, enum_msg(WITH_MEETING, "FORCE"))]),
            ("withMeeting=close", [d(WMM, enum_msg(WITH_MEETING, "close"))]),
            ("withMeeting=", [d(WMM, enum_msg(WITH_MEETING, ""))]),
            ("withRecordings=bad", [d(WRR, enum_msg(WITH_RECORDINGS, "bad"))]),
            ("withRecordings=when_meeting_ends",
             [d(WRR, enum_msg(WITH_RECORDINGS, "when_meeting_ends"))]),
            ("withRecordings=", [d(WRR, enum_msg(WITH_RECORDINGS, ""))]),
            ("withRecordings=x&withMeeting=y",
             [d(WMM, enum_msg(WITH_MEETING, "y")),
              d(WRR, enum_msg(WITH_RECORDINGS, "x"))]),
        ]
        room = self.create({"roomName": "delete-errors"})
        for query, details in rows:
            for rid in (room["roomId"], "missing-room"):
                with self.subTest(query=query, rid=rid):
                    self.expect("DELETE", "/rooms/%s?%s" % (rid, query), 422,
                                invalid(*details))
        self.expect("GET", "/rooms/" + room["roomId"], 200, room)
        # Valid policies on a missing room: 404 with the sanitised id.
        for query in ("", "?withMeeting=force", "?withRecordings=close",
                      "?withMeeting=when_meeting_ends&withRecordings=force",
                      "?withMeeting=fail&withRecordings=fail&other=x"):
            with self.subTest(query=query):
                self.expect("DELETE", "/rooms/missing%21room" + query, 404,
                            room_error("missingroom"))
        # An idle room is deleted whatever the policies.
        for query in ("", "?withMeeting=force&withRecordings=force",
                      "?withMeeting=when_meeting_ends&withRecordings=close",
                      "?withMeeting=fail&withRecordings=fail"):
            with self.subTest(query=query):
                rid = self.create({"roomName": "del"})["roomId"]
                self.expect("DELETE", "/rooms/" + rid + query, 200, {
                    "successCode": "room_deleted",
                    "message": "Room '%s' deleted successfully" % rid})
                self.expect("DELETE", "/rooms/" + rid + query, 404,
                            room_error(rid))

    # ---- §6.6 DELETE /rooms (bulk) ---------------------------------------

    @staticmethod
    def deleted(rid):
        return {"roomId": rid, "successCode": "room_deleted",
                "message": "Room '%s' deleted successfully" % rid}

    @staticmethod
    def not_found(rid):
        return {"roomId": rid, "error": "Room Error",
                "message": "Room '%s' does not exist" % rid}

    def test_bulk_delete_validation(self):
        ids_error = d("roomIds", NO_VALID_IDS)
        rows = [
            ("", [ids_error]),
            ("?roomIds=", [ids_error]),
            ("?roomIds=%20", [ids_error]),
            ("?roomIds=,,,", [ids_error]),
            ("?roomIds=%20,%20,", [ids_error]),
            ("?roomIds=%21%21,%C3%A9,..", [ids_error]),
            ("?roomIds=&roomIds=", [ids_error]),
            ("?roomIds=%21&roomIds=%20", [ids_error]),
            ("?roomids=x", [ids_error]),
            ("?withMeeting=force", [ids_error]),
            ("?roomIds=x&withMeeting=bad",
             [d("withMeeting", enum_msg(WITH_MEETING, "bad"))]),
            ("?roomIds=x&withRecordings=bad",
             [d("withRecordings", enum_msg(WITH_RECORDINGS, "bad"))]),
            # Order: roomIds, withMeeting, withRecordings.
            ("?withRecordings=r&withMeeting=m",
             [ids_error, d("withMeeting", enum_msg(WITH_MEETING, "m")),
              d("withRecordings", enum_msg(WITH_RECORDINGS, "r"))]),
            ("?withRecordings=FAIL&roomIds=%21&withMeeting=",
             [ids_error, d("withMeeting", enum_msg(WITH_MEETING, "")),
              d("withRecordings", enum_msg(WITH_RECORDINGS, "FAIL"))]),
            ("?withRecordings=x&roomIds=,",
             [ids_error, d("withRecordings", enum_msg(WITH_RECORDINGS, "x"))]),
        ]
        for query, details in rows:
            with self.subTest(query=query):
                self.expect("DELETE", "/rooms" + query, 422, invalid(*details))

    def test_bulk_delete_processing(self):
        a, b, c, e = (self.create({"roomName": "bulk"})["roomId"]
                      for _ in range(4))
        # Mixture of missing and existing ids: 400, input order preserved.
        q = ",".join(["missing-1", a, "missing-2", b, "%21" + c + "%21"])
        self.expect("DELETE", "/rooms?roomIds=" + q, 400, {
            "message": "2 room(s) failed to process while deleting",
            "successful": [self.deleted(a), self.deleted(b), self.deleted(c)],
            "failed": [self.not_found("missing-1"),
                       self.not_found("missing-2")]})
        for rid in (a, b, c):
            self.expect("GET", "/rooms/" + rid, 404, room_error(rid))
        # All failed: still 400, with an empty successful list; the ids
        # are sanitised without the 100-character limit.
        long_id = "L" * 150
        self.expect("DELETE", "/rooms?roomIds=%s,%s,x%%20y" % (a, long_id), 400, {
            "message": "3 room(s) failed to process while deleting",
            "successful": [],
            "failed": [self.not_found(a), self.not_found(long_id),
                       self.not_found("xy")]})
        # Duplicates after sanitising are processed once.
        f = self.create({"roomName": "dup"})["roomId"]
        q = urllib.parse.quote("%s, %s ,%s!,!%s,%s" % (f, f, f, f, f))
        self.expect("DELETE", "/rooms?roomIds=" + q, 200, {
            "message": "All rooms successfully processed for deletion",
            "successful": [self.deleted(f)]})
        q = urllib.parse.quote("gone-9,gone-9, gone-9!")
        self.expect("DELETE", "/rooms?roomIds=" + q, 400, {
            "message": "1 room(s) failed to process while deleting",
            "successful": [], "failed": [self.not_found("gone-9")]})
        # A repeated parameter is accepted, but its items are not split:
        # "x,y" sanitises to "xy".
        g = self.create({"roomName": "rep"})["roomId"]
        self.expect("DELETE", "/rooms?roomIds=%s,zz&roomIds=%s"
                    % (e, g), 400, {
                        "message": "1 room(s) failed to process while deleting",
                        "successful": [self.deleted(g)],
                        "failed": [self.not_found(e + "zz")]})
        self.expect("DELETE", "/rooms?roomIds=%s&roomIds=&roomIds=%s"
                    % (e, e), 200, {
                        "message": "All rooms successfully processed for deletion",
                        "successful": [self.deleted(e)]})
        # Valid policies with idle rooms.
        h = self.create({"roomName": "pol"})["roomId"]
        self.expect("DELETE", "/rooms?withMeeting=force&withRecordings=close"
                    "&roomIds=" + h, 200, {
                        "message": "All rooms successfully processed for deletion",
                        "successful": [self.deleted(h)]})

    # ---- §1.2 routing ----------------------------------------------------

    def test_unknown_routes_and_methods(self):
        cases = [
            ("GET", "/api/v1"), ("GET", "/api/v1/"), ("GET", "/api/v1/nope"),
            ("GET", "/api/v1/room"), ("GET", "/api/v1/roomsx"),
            ("POST", "/api/v1/rooms/x"), ("PATCH", "/api/v1/rooms/x"),
            ("PUT", "/api/v1/rooms"), ("PATCH", "/api/v1/rooms"),
            ("PUT", "/api/v1/rooms/x"), ("POST", "/api/v1/rooms/x/config"),
            ("DELETE", "/api/v1/rooms/x/config"),
            ("GET", "/api/v1/rooms/x/status"),
            ("POST", "/api/v1/rooms/x/status"),
            ("GET", "/api/v1/rooms/x/y"), ("GET", "/api/v1/rooms/x/config/y"),
            ("PUT", "/api/v1/rooms/x/y"), ("GET", "/api/v1/rooms//"),
            ("GET", "/api/v1/rooms/x/config//"),
            ("GET", "/api/v2/rooms"),
            ("GET", "/meet/api/v1/nope"), ("POST", "/meet/api/v1/rooms/x"),
            ("PUT", "/meet/api/v1/rooms"), ("DELETE", "/meet/api/v1/rooms/x/y"),
            ("GET", "/MEET/API/V1/NOPE"),
            ("GET", "/meet/internal-api/v1/nope"),
        ]
        for method, path in cases:
            for key in (True, False):
                with self.subTest(method=method, path=path, key=key):
                    self.expect(method, path, 404, NO_PATH, prefix="", key=key)

    def test_routing_ignores_case_and_one_trailing_slash(self):
        room = self.create({"roomName": "route"})
        rid = room["roomId"]
        for path in ("/api/v1/ROOMS/", "/api/v1/rooms/", "/API/V1/Rooms",
                     "/meet/api/v1/rooms/", "/MEET/api/V1/rooms",
                     "/Meet/Api/V1/Rooms/?maxItems=1"):
            with self.subTest(path=path):
                st, _, body = self.m.request("GET", path)
                self.assertEqual(st, 200, body)
                self.assertIn("pagination", body)
        for path in ("/api/v1/rooms/%s/" % rid, "/API/V1/ROOMS/%s" % rid,
                     "/meet/api/v1/Rooms/%s/" % rid):
            with self.subTest(path=path):
                self.assertEqual(self.m.request("GET", path)[2], room)
        for path in ("/api/v1/rooms/%s/config/" % rid,
                     "/api/v1/rooms/%s/CONFIG" % rid,
                     "/MEET/API/V1/ROOMS/%s/Config/" % rid):
            with self.subTest(path=path):
                self.assertEqual(self.m.request("GET", path)[2], room["config"])
        for path in ("/api/v1/rooms/", "/API/V1/ROOMS", "/meet/api/v1/ROOMS/"):
            with self.subTest(path=path):
                st, _, created = self.m.request("POST", path,
                                                body={"roomName": "slash"})
                self.assertEqual(st, 201, created)
                self.assertEqual(created["roomName"], "slash")
        st, _, body = self.m.request("PUT", "/api/v1/ROOMS/%s/STATUS/" % rid,
                                     body={"status": "closed"})
        self.assertEqual((st, body["message"]),
                         (200, "Room '%s' closed successfully" % rid))
        st, _, body = self.m.request("PUT", "/api/v1/Rooms/%s/Config/" % rid,
                                     body={"config": {}})
        self.assertEqual(st, 200, body)
        # Validation errors are the same through any spelling.
        st, _, body = self.m.request("GET", "/API/v1/ROOMS/?maxItems=0")
        self.assertEqual((st, body), (422, invalid(
            d("maxItems", "maxItems must be a positive number"))))
        st, _, body = self.m.request("DELETE", "/api/v1/ROOMS/?roomIds=" + rid)
        self.assertEqual((st, body), (200, {
            "message": "All rooms successfully processed for deletion",
            "successful": [self.deleted(rid)]}))
        st, _, body = self.m.request("DELETE", "/API/V1/rooms/%s/" % rid)
        self.assertEqual((st, body), (404, room_error(rid)))

    def test_paths_outside_the_api_are_not_json_api_errors(self):
        for path in ("/nope", "/rooms", "/v1/rooms"):
            with self.subTest(path=path):
                st, _, body = self.m.request("GET", path)
                self.assertEqual(st, 404)
                self.assertNotEqual(body, NO_PATH)


if __name__ == "__main__":
    harness.main()
