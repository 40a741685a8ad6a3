"""Integration tests of the rooms endpoints against the real meetd binary
(BEHAVIOUR.md §2, §4-§6)."""

import http.client
import json
import os
import random
import re
import signal
import socket
import time
import unittest
import urllib.parse

import harness
from harness import Meetd

HOUR_MS = 3600 * 1000
ROOM_KEYS = ["roomId", "roomName", "creationDate", "autoDeletionPolicy",
             "config", "moderatorUrl", "speakerUrl", "status",
             "meetingEndAction"]
DEFAULT_CONFIG = {
    "chat": {"enabled": True},
    "recording": {"enabled": True, "layout": "grid",
                  "encoding": "H264_720P_30",
                  "allowAccessTo": "admin_moderator_speaker"},
    "virtualBackground": {"enabled": True},
    "e2ee": {"enabled": False},
    "captions": {"enabled": True},
}


def shard_of(room_id, nshards):
    """The shard meetd places a room in: FNV-1a 64 of its id."""
    h = 0xcbf29ce484222325
    for b in room_id.encode():
        h = ((h ^ b) * 0x100000001b3) % (1 << 64)
    return h % nshards


def now_ms():
    return int(time.time() * 1000)


class RoomsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=4)

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def req(self, method, path, body=None, **kw):
        return self.m.request(method, "/api/v1" + path, body=body, **kw)

    def create(self, body=None, **kw):
        st, h, room = self.req("POST", "/rooms", body if body is not None else {}, **kw)
        self.assertEqual(st, 201, room)
        return room, h

    # ---- authentication ------------------------------------------------

    def test_auth_errors(self):
        st, _, body = self.req("GET", "/rooms", key=False)
        self.assertEqual((st, body), (401, {"error": "Authentication Error",
                                            "message": "Unauthorized"}))
        st, _, body = self.req("GET", "/rooms", key=False,
                               headers={"X-API-KEY": ""})
        self.assertEqual((st, body["message"]), (401, "Unauthorized"))
        st, _, body = self.req("GET", "/rooms", key=False,
                               headers={"X-API-KEY": "wrong"})
        self.assertEqual((st, body), (401, {"error": "Authentication Error",
                                            "message": "Invalid API key"}))
        st, _, body = self.req("GET", "/rooms", key=False,
                               headers={"x-api-key": harness.API_KEY})
        self.assertEqual(st, 200)

    def test_malformed_body_comes_before_auth(self):
        for key in (False, True):
            st, _, body = self.m.request(
                "POST", "/api/v1/rooms", raw_body=b'{"roomName": ',
                headers={"Content-Type": "application/json"}, key=key)
            self.assertEqual((st, body), (400, {"error": "Bad Request",
                                                "message": "Malformed body"}))
        st, _, body = self.m.request(
            "POST", "/api/v1/rooms", raw_body=b'null',
            headers={"Content-Type": "application/json"})
        self.assertEqual(st, 400)

    def test_non_json_body_is_an_empty_object(self):
        st, _, room = self.m.request("POST", "/api/v1/rooms",
                                     raw_body=b"roomName=x",
                                     headers={"Content-Type": "text/plain"})
        self.assertEqual(st, 201)
        self.assertEqual(room["roomName"], "Room")

    # ---- create --------------------------------------------------------

    def test_create_defaults(self):
        t0 = now_ms()
        room, h = self.create()
        self.assertEqual(list(room.keys()), ROOM_KEYS)
        self.assertRegex(room["roomId"], r"^room-[0-9a-f]{15}$")
        self.assertEqual(room["roomName"], "Room")
        self.assertGreaterEqual(room["creationDate"], t0)
        self.assertEqual(room["autoDeletionPolicy"],
                         {"withMeeting": "when_meeting_ends",
                          "withRecordings": "close"})
        self.assertEqual(room["config"], DEFAULT_CONFIG)
        self.assertEqual(list(room["config"].keys()),
                         ["chat", "recording", "virtualBackground", "e2ee",
                          "captions"])
        base = "http://127.0.0.1:%d/meet" % self.m.port
        self.assertEqual(h["location"], base + "/api/v1/rooms/" + room["roomId"])
        m1 = re.fullmatch(re.escape(base) + r"/room/" + room["roomId"] +
                          r"\?secret=([0-9a-f]{10})", room["moderatorUrl"])
        m2 = re.fullmatch(re.escape(base) + r"/room/" + room["roomId"] +
                          r"\?secret=([0-9a-f]{10})", room["speakerUrl"])
        self.assertTrue(m1 and m2, room)
        self.assertNotEqual(m1.group(1), m2.group(1))
        self.assertEqual(room["status"], "open")
        self.assertEqual(room["meetingEndAction"], "none")
        self.assertTrue(h["content-type"].startswith("application/json"))

    def test_create_with_everything(self):
        date = now_ms() + 2 * HOUR_MS
        room, _ = self.create({
            "roomName": "  Habitación   José ",
            "autoDeletionDate": date,
            "autoDeletionPolicy": {"withMeeting": "force",
                                   "withRecordings": "force"},
            "config": {"recording": {"enabled": True, "layout": "speaker"},
                       "e2ee": {"enabled": True},
                       "chat": {"enabled": False, "extra": 1}},
            "unknown": "dropped"})
        self.assertTrue(room["roomId"].startswith("habitacion_jose-"))
        self.assertEqual(room["roomName"], "Habitación José")
        self.assertEqual(room["autoDeletionDate"], date)
        self.assertEqual(room["autoDeletionPolicy"],
                         {"withMeeting": "force", "withRecordings": "force"})
        # e2ee silently disables recording.
        self.assertEqual(room["config"]["recording"],
                         {"enabled": False, "layout": "speaker",
                          "encoding": "H264_720P_30",
                          "allowAccessTo": "admin_moderator_speaker"})
        self.assertEqual(room["config"]["chat"], {"enabled": False})
        self.assertNotIn("unknown", room)
        st, _, got = self.req("GET", "/rooms/" + room["roomId"])
        self.assertEqual(got, room)

    def test_create_validation(self):
        cases = [
            ({"roomName": 12345},
             [{"field": "roomName",
               "message": "Expected string, received number"}]),
            ({"roomName": "x" * 51},
             [{"field": "roomName",
               "message": "roomName cannot exceed 50 characters"}]),
            ({"autoDeletionDate": now_ms() + 1000},
             [{"field": "autoDeletionDate",
               "message": "autoDeletionDate must be at least 1h in the future"}]),
            ({"autoDeletionPolicy": {"withMeeting": "fail",
                                     "withRecordings": "close"}},
             [{"field": "autoDeletionPolicy.withMeeting",
               "message": "FAIL policy is not allowed for withMeeting "
                          "auto-deletion policy"}]),
            ({"config": {"chat": {}}},
             [{"field": "config.chat.enabled", "message": "Required"}]),
            ({"config": {"recording": {"enabled": True, "encoding": "BAD"}}},
             [{"field": "config.recording.encoding",
               "message": "Invalid encoding preset. Must be one of: "
                          "H264_720P_30, H264_720P_60, H264_1080P_30, "
                          "H264_1080P_60, PORTRAIT_H264_720P_30, "
                          "PORTRAIT_H264_720P_60, PORTRAIT_H264_1080P_30, "
                          "PORTRAIT_H264_1080P_60"}]),
        ]
        for body, details in cases:
            st, _, got = self.req("POST", "/rooms", body)
            self.assertEqual(st, 422, body)
            self.assertEqual(got, {"error": "Unprocessable Entity",
                                   "message": "Invalid request",
                                   "details": details}, body)

    def test_urls_follow_the_request(self):
        room, h = self.create({"roomName": "urls"},
                              headers={"Host": "meet.example.com:8080"})
        self.assertTrue(room["moderatorUrl"].startswith(
            "http://meet.example.com:8080/meet/room/"))
        self.assertTrue(h["location"].startswith(
            "http://meet.example.com:8080/meet/api/v1/rooms/"))
        room2, h2 = self.create({"roomName": "urls"}, headers={
            "Host": "internal:6080", "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "meet.example.com:443"})
        self.assertTrue(room2["speakerUrl"].startswith(
            "https://meet.example.com/meet/room/"), room2["speakerUrl"])
        # Another client's Host never leaks into this request's URLs.
        st, _, again = self.req("GET", "/rooms/" + room["roomId"])
        self.assertTrue(again["moderatorUrl"].startswith(
            "http://127.0.0.1:%d/meet/room/" % self.m.port))

    # ---- get -----------------------------------------------------------

    def test_get_missing_and_sanitised_ids(self):
        st, _, body = self.req("GET", "/rooms/no_such-room")
        self.assertEqual((st, body), (404, {
            "error": "Room Error", "message": "Room 'no_such-room' does not exist"}))
        room, _ = self.create({"roomName": "sanitise"})
        st, _, got = self.req("GET", "/rooms/%20" + room["roomId"] + "%20")
        self.assertEqual((st, got["roomId"]), (200, room["roomId"]))
        st, _, body = self.req("GET", "/rooms/" + "a" * 101)
        self.assertEqual((st, body["details"]), (422, [{
            "field": "roomId", "message": "roomId cannot exceed 100 characters"}]))
        st, _, body = self.req("GET", "/rooms/%21%21")
        self.assertEqual(body["details"], [{
            "field": "roomId",
            "message": "roomId cannot be empty after sanitization"}])

    def test_get_fields_and_config(self):
        room, _ = self.create({"roomName": "fields"})
        st, _, got = self.req("GET", "/rooms/%s?fields=roomName,%%20status,"
                              "config.recording,nope" % room["roomId"])
        self.assertEqual(st, 200)
        self.assertEqual(got, {"roomName": "fields",
                               "config": {"recording": room["config"]["recording"]},
                               "status": "open"})
        st, _, got = self.req("GET", "/rooms/%s?fields=nope" % room["roomId"])
        self.assertEqual(got, {})
        st, _, cfg = self.req("GET", "/rooms/%s/config" % room["roomId"])
        self.assertEqual((st, cfg), (200, room["config"]))
        st, _, body = self.req("GET", "/rooms/missing-1/config")
        self.assertEqual(st, 404)

    # ---- update --------------------------------------------------------

    def test_update_config(self):
        room, _ = self.create({"roomName": "cfg"})
        rid = room["roomId"]
        st, _, body = self.req("PUT", "/rooms/%s/config" % rid,
                               {"config": {"recording": {"enabled": False}}})
        self.assertEqual((st, body), (200, {
            "message": "Room config for room '%s' updated successfully" % rid}))
        _, _, cfg = self.req("GET", "/rooms/%s/config" % rid)
        self.assertEqual(cfg["recording"], {
            "enabled": False, "layout": "grid", "encoding": "H264_720P_30",
            "allowAccessTo": "admin_moderator_speaker"})
        enc = {"video": {"width": 640, "height": 480, "framerate": 30,
                         "codec": "H264_MAIN", "bitrate": 1000,
                         "keyFrameInterval": 2, "depth": 24},
               "audio": {"codec": "OPUS", "bitrate": 64, "frequency": 48000}}
        self.req("PUT", "/rooms/%s/config" % rid,
                 {"config": {"recording": {"enabled": True, "encoding": enc}}})
        _, _, cfg = self.req("GET", "/rooms/%s/config" % rid)
        self.assertEqual(cfg["recording"]["encoding"], enc)
        self.req("PUT", "/rooms/%s/config" % rid,
                 {"config": {"e2ee": {"enabled": True}}})
        _, _, cfg = self.req("GET", "/rooms/%s/config" % rid)
        self.assertFalse(cfg["recording"]["enabled"])
        self.assertTrue(cfg["e2ee"]["enabled"])
        st, _, body = self.req("PUT", "/rooms/%s/config" % rid, {})
        self.assertEqual((st, body["details"]),
                         (422, [{"field": "config", "message": "Required"}]))
        st, _, body = self.req("PUT", "/rooms/nope-1/config", {"config": {}})
        self.assertEqual((st, body["message"]),
                         (404, "Room 'nope-1' does not exist"))

    def test_update_status(self):
        room, _ = self.create({"roomName": "status"})
        rid = room["roomId"]
        st, _, body = self.req("PUT", "/rooms/%s/status" % rid,
                               {"status": "closed"})
        self.assertEqual(st, 200)
        self.assertEqual(body["message"], "Room '%s' closed successfully" % rid)
        self.assertEqual(body["room"]["status"], "closed")
        self.assertEqual(body["room"]["meetingEndAction"], "none")
        st, _, body = self.req("PUT", "/rooms/%s/status" % rid,
                               {"status": "open"})
        self.assertEqual(body["message"], "Room '%s' open successfully" % rid)
        st, _, body = self.req("PUT", "/rooms/%s/status" % rid,
                               {"status": "active_meeting"})
        self.assertEqual((st, body["details"]), (422, [{
            "field": "status",
            "message": "Invalid enum value. Expected 'open' | 'closed', "
                       "received 'active_meeting'"}]))

    # ---- delete --------------------------------------------------------

    def test_delete_one(self):
        room, _ = self.create({"roomName": "del"})
        rid = room["roomId"]
        st, _, body = self.req("DELETE", "/rooms/" + rid)
        self.assertEqual((st, body), (200, {
            "successCode": "room_deleted",
            "message": "Room '%s' deleted successfully" % rid}))
        st, _, body = self.req("GET", "/rooms/" + rid)
        self.assertEqual(st, 404)
        st, _, body = self.req("DELETE", "/rooms/" + rid)
        self.assertEqual((st, body["message"]),
                         (404, "Room '%s' does not exist" % rid))
        st, _, body = self.req("DELETE", "/rooms/x?withMeeting=bad")
        self.assertEqual((st, body["details"]), (422, [{
            "field": "withMeeting",
            "message": "Invalid enum value. Expected 'force' | "
                       "'when_meeting_ends' | 'fail', received 'bad'"}]))
        st, _, body = self.req("DELETE", "/rooms/%21")
        self.assertEqual(body["details"][0]["field"], "")

    def test_bulk_delete(self):
        ids = [self.create({"roomName": "bulk"})[0]["roomId"] for _ in range(5)]
        q = urllib.parse.quote(",".join(ids[:3]) + ", " + ids[0])
        st, _, body = self.req("DELETE", "/rooms?roomIds=" + q)
        self.assertEqual(st, 200)
        self.assertEqual(body["message"],
                         "All rooms successfully processed for deletion")
        self.assertNotIn("failed", body)
        self.assertEqual([s["roomId"] for s in body["successful"]], ids[:3])
        for s in body["successful"]:
            self.assertEqual(s["successCode"], "room_deleted")
        st, _, body = self.req("DELETE", "/rooms?roomIds=%s,gone-1&roomIds=x"
                               % ids[3])
        st, _, body = self.req("DELETE", "/rooms?roomIds=%s,gone-1" % ids[4])
        self.assertEqual(st, 400)
        self.assertEqual(body["message"],
                         "1 room(s) failed to process while deleting")
        self.assertEqual(body["failed"], [{
            "roomId": "gone-1", "error": "Room Error",
            "message": "Room 'gone-1' does not exist"}])
        st, _, body = self.req("DELETE", "/rooms?roomIds=,,%21")
        self.assertEqual((st, body["details"]), (422, [{
            "field": "roomIds",
            "message": "At least one valid roomId is required after "
                       "sanitization"}]))

    # ---- list ----------------------------------------------------------

    def test_list_validation_and_token(self):
        st, _, body = self.req("GET", "/rooms?maxItems=abc")
        self.assertEqual((st, body["details"]), (422, [{
            "field": "maxItems", "message": "Expected number, received nan"}]))
        st, _, body = self.req("GET", "/rooms?maxItems=0")
        self.assertEqual(body["details"], [{
            "field": "maxItems", "message": "maxItems must be a positive number"}])
        st, _, body = self.req("GET", "/rooms?maxItems=1000")
        self.assertEqual((st, body["pagination"]["maxItems"]), (200, 100))
        for tok in ("garbage!", "e30", "eyJ4IjoxfQ"):
            st, _, body = self.req("GET", "/rooms?nextPageToken=" + tok)
            self.assertEqual(st, 422, tok)
            self.assertEqual(body["details"][0]["field"], "nextPageToken")

    def test_name_filter_is_literal(self):
        a, _ = self.create({"roomName": "Lit (a.b) Test"})
        self.create({"roomName": "Lit aXb Test"})
        st, _, body = self.req("GET", "/rooms?maxItems=100&roomName=" +
                               urllib.parse.quote("(A.B)"))
        self.assertEqual(st, 200)
        self.assertEqual([r["roomId"] for r in body["rooms"]], [a["roomId"]])
        st, _, body = self.req("GET", "/rooms?roomName=" + urllib.parse.quote("("))
        self.assertEqual(st, 200)


class PaginationTest(unittest.TestCase):
    """2,500 rooms over 4 shards: every sortField x sortOrder pages through
    every room exactly once, in order, also while rooms are added."""

    N = 2500

    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=4)
        cls.rooms = []
        rnd = random.Random(7)
        names = ["alpha", "Beta", "gamma", "Zulu", "émile", "a.b(c", "Ñandú",
                 "room", "ROOM", "x"]
        conn = http.client.HTTPConnection("127.0.0.1", cls.m.port, timeout=30)
        base = now_ms() + 2 * HOUR_MS
        for i in range(cls.N):
            body = {"roomName": "%s %d" % (rnd.choice(names), rnd.randrange(50))}
            if i % 3:
                body["autoDeletionDate"] = base + rnd.randrange(1000) * 1000
            conn.request("POST", "/api/v1/rooms", body=json.dumps(body),
                         headers={"X-API-KEY": harness.API_KEY,
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            room = json.loads(resp.read())
            assert resp.status == 201, room
            cls.rooms.append(room)
        conn.close()

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def page_all(self, sort_field, order, max_items, extra=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.m.port, timeout=30)
        seen, token, pages = [], None, 0
        while True:
            q = {"sortField": sort_field, "sortOrder": order,
                 "maxItems": str(max_items)}
            if token:
                q["nextPageToken"] = token
            conn.request("GET", "/api/v1/rooms?" + urllib.parse.urlencode(q),
                         headers={"X-API-KEY": harness.API_KEY})
            resp = conn.getresponse()
            body = json.loads(resp.read())
            self.assertEqual(resp.status, 200, body)
            self.assertLessEqual(len(body["rooms"]), max_items)
            self.assertEqual(body["pagination"]["maxItems"], max_items)
            seen.extend(body["rooms"])
            pages += 1
            if extra and pages == 3:
                extra()
            if not body["pagination"]["isTruncated"]:
                self.assertNotIn("nextPageToken", body["pagination"])
                break
            token = body["pagination"]["nextPageToken"]
        conn.close()
        return seen

    @staticmethod
    def key(sort_field):
        def k(r):
            v = r.get(sort_field)
            if sort_field == "roomName":
                return (1, v.encode(), r["roomId"].encode())
            if v is None:
                return (0, 0, r["roomId"].encode())
            return (1, v, r["roomId"].encode())
        return k

    def test_every_order_pages_every_room_once(self):
        for sort_field in ("creationDate", "roomName", "autoDeletionDate"):
            for order in ("asc", "desc"):
                seen = self.page_all(sort_field, order, 100)
                ids = [r["roomId"] for r in seen]
                self.assertEqual(len(ids), self.N, (sort_field, order))
                self.assertEqual(len(set(ids)), self.N)
                expected = sorted(self.rooms, key=self.key(sort_field),
                                  reverse=(order == "desc"))
                self.assertEqual(ids, [r["roomId"] for r in expected],
                                 (sort_field, order))

    def test_rooms_created_between_pages_do_not_disturb_paging(self):
        added = []

        def add_rooms():
            for _ in range(20):
                st, _, room = self.m.request("POST", "/api/v1/rooms",
                                             body={"roomName": "late"})
                added.append(room)

        seen = self.page_all("roomName", "asc", 37, extra=add_rooms)
        ids = [r["roomId"] for r in seen]
        self.assertEqual(len(ids), len(set(ids)))
        original = {r["roomId"] for r in self.rooms}
        self.assertTrue(original <= set(ids))
        for r in added:
            self.m.request("DELETE", "/api/v1/rooms/" + r["roomId"])

    def test_filters(self):
        st, _, body = self.m.request(
            "GET", "/api/v1/rooms?maxItems=100&status=closed")
        self.assertEqual((st, body["rooms"]), (200, []))
        st, _, body = self.m.request(
            "GET", "/api/v1/rooms?maxItems=100&roomName=zulu%201&fields=roomName")
        for r in body["rooms"]:
            self.assertEqual(list(r.keys()), ["roomName"])
            self.assertIn("zulu 1", r["roomName"].lower())


class BaseUrlTest(unittest.TestCase):
    def test_meet_base_url_and_base_path(self):
        with Meetd(workers=2, env={"MEET_BASE_URL": "https://meet.example.com:443/",
                                   "MEET_BASE_PATH": "/app"}) as m:
            st, h, room = m.request("POST", "/app/api/v1/rooms", body={})
            self.assertEqual(st, 201)
            self.assertEqual(h["location"], "https://meet.example.com/app/api/v1/rooms/"
                             + room["roomId"])
            self.assertTrue(room["moderatorUrl"].startswith(
                "https://meet.example.com/app/room/"))
            st, _, _ = m.request("GET", "/api/v1/rooms/" + room["roomId"])
            self.assertEqual(st, 200)
            st, _, _ = m.request("GET", "/meet/api/v1/rooms")
            self.assertEqual(st, 404)

    def test_killed_shard_answers_503_others_serve(self):
        with Meetd(workers=2) as m:
            by_shard = {0: [], 1: []}
            while not (by_shard[0] and by_shard[1]):
                rid = m.request("POST", "/api/v1/rooms", body={})[2]["roomId"]
                by_shard[shard_of(rid, 2)].append(rid)
            pids = m.worker_pids()
            os.kill(pids[1], signal.SIGSTOP)
            try:
                s = socket.create_connection(("127.0.0.1", m.port), timeout=5)
                s.sendall(("GET /api/v1/rooms/%s HTTP/1.1\r\nHost: x\r\n"
                           "X-API-KEY: %s\r\n\r\n"
                           % (by_shard[1][0], harness.API_KEY)).encode())
                time.sleep(0.2)
                # The other shard keeps serving while shard 1 hangs.
                st, _, _ = m.request("GET", "/api/v1/rooms/" + by_shard[0][0])
                self.assertEqual(st, 200)
                t0 = time.time()
                os.kill(pids[1], signal.SIGKILL)
                got = harness.recv_responses(s, 5, expect=1)
                s.close()
                self.assertLess(time.time() - t0, 1.0)
                self.assertEqual(got[0][0], 503)
                self.assertEqual(json.loads(got[0][2])["error"],
                                 "Service Unavailable")
            finally:
                try:
                    os.kill(pids[1], signal.SIGCONT)
                except ProcessLookupError:
                    pass
            deadline = time.time() + 2
            while time.time() < deadline:
                st, _, room = m.request("GET", "/api/v1/rooms/" + by_shard[1][0])
                if st == 200:
                    break
                time.sleep(0.02)
            self.assertEqual(st, 200)

    def test_rooms_survive_restart(self):
        m = Meetd(workers=2)
        try:
            created = [m.request("POST", "/api/v1/rooms", body={})[2]["roomId"]
                       for _ in range(20)]
            self.assertEqual(m.stop(), 0)
            m2 = Meetd(workers=2, data_dir=m.data_dir)
            for rid in created:
                st, _, _ = m2.request("GET", "/api/v1/rooms/" + rid)
                self.assertEqual(st, 200)
            m2.stop()
        finally:
            m.cleanup()


if __name__ == "__main__":
    harness.main()
