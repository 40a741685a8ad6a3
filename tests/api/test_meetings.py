"""Meetings: LiveKit webhook intake, room lifecycle, deletion with live
meetings, scheduled expiry (BEHAVIOUR.md §6.5, §8.2, §10; LIVEKIT.md §1-2)."""

import os
import sqlite3
import time
import unittest
import urllib.parse

import harness
from harness import Meetd, lk_event, lk_send, lk_token

HOUR_MS = 3600 * 1000


class MeetingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=3)

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def api(self, method, path, body=None):
        return self.m.request(method, "/api/v1" + path, body=body)

    def room(self, **body):
        st, _, room = self.api("POST", "/rooms", body)
        self.assertEqual(st, 201)
        return room["roomId"]

    def status(self, rid):
        st, _, room = self.api("GET", "/rooms/" + rid)
        return room["status"] if st == 200 else st

    def start(self, rid, **kw):
        st, _, _ = lk_send(self.m, lk_event("room_started", rid, **kw))
        self.assertEqual(st, 200)

    def finish(self, rid, **kw):
        st, _, _ = lk_send(self.m, lk_event("room_finished", rid, **kw))
        self.assertEqual(st, 200)

    # ---- webhook authentication ----------------------------------------

    def test_webhook_authentication(self):
        rid = self.room()
        body = lk_event("room_started", rid)
        now = int(time.time())
        bad = {
            "missing": "",
            "bad signature": lk_token(body, secret="other"),
            "wrong issuer": lk_token(body, key="other"),
            "expired": lk_token(body, now=now - 1000, exp=now - 60),
            "not yet valid": lk_token(body, nbf=now + 120),
            "body hash": lk_token(b'{"event":"room_started"}'),
            "alg none": lk_token(body, alg="none"),
            "garbage": "a.b.c",
        }
        for name, token in bad.items():
            st, _, resp = lk_send(self.m, body, token=token)
            self.assertEqual(st, 401, name)
            self.assertEqual(resp["error"], "Authentication Error", name)
            self.assertEqual(self.status(rid), "open", name)
        # Within the 10 s tolerance, with or without a Bearer prefix.
        st, _, _ = lk_send(self.m, body, token=lk_token(body, exp=now - 5))
        self.assertEqual(st, 200)
        self.assertEqual(self.status(rid), "active_meeting")

    def test_other_webhooks_get_a_prompt_200(self):
        cases = [b"not json", b"[1,2]", b'{"event": 5}',
                 lk_event("room_started", "no_such_room-000000000000000"),
                 lk_event("track_published", "x"),
                 lk_event("participant_joined", "x", participant="p1")]
        for body in cases:
            t0 = time.time()
            st, _, _ = lk_send(self.m, body)
            self.assertEqual(st, 200, body)
            self.assertLess(time.time() - t0, 1.0)
        st, _, _ = lk_send(self.m, b"{}", headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200)
        # A correctly signed event under another media type is answered but
        # not applied, as the reference (it only reads webhook+json bodies).
        rid = self.room()
        for ctype in ("application/json", "text/plain", ""):
            st, _, _ = lk_send(self.m, lk_event("room_started", rid),
                               headers={"Content-Type": ctype})
            self.assertEqual(st, 200, ctype)
            self.assertEqual(self.status(rid), "open", ctype)
        st, _, _ = lk_send(self.m, lk_event("room_started", rid), headers={
            "Content-Type": "Application/Webhook+JSON; charset=utf-8"})
        self.assertEqual(st, 200)
        self.assertEqual(self.status(rid), "active_meeting")

    # ---- lifecycle -----------------------------------------------------

    def test_lifecycle_and_end_actions(self):
        rid = self.room()
        self.start(rid)
        self.assertEqual(self.status(rid), "active_meeting")
        self.finish(rid)
        self.assertEqual(self.status(rid), "open")
        # close: PUT status closed during a meeting → 202, closed at its end.
        self.start(rid)
        st, _, body = self.api("PUT", "/rooms/%s/status" % rid, {"status": "closed"})
        self.assertEqual(st, 202)
        self.assertEqual(body["message"],
                         "Room '%s' scheduled to be closed when the meeting ends" % rid)
        self.assertEqual(body["room"]["status"], "active_meeting")
        self.assertEqual(body["room"]["meetingEndAction"], "close")
        self.finish(rid)
        st, _, room = self.api("GET", "/rooms/" + rid)
        self.assertEqual((room["status"], room["meetingEndAction"]), ("closed", "none"))

    def test_config_update_refused_during_meeting(self):
        rid = self.room()
        self.start(rid)
        st, _, body = self.api("PUT", "/rooms/%s/config" % rid,
                               {"config": {"chat": {"enabled": False}}})
        self.assertEqual((st, body), (409, {
            "error": "Room Error",
            "message": "Room '%s' has an active meeting" % rid}))
        st, _, body = self.api("PUT", "/rooms/%s/status" % rid, {"status": "open"})
        self.assertEqual(st, 200)  # the reference's quirk: open at once
        self.assertEqual(body["room"]["status"], "open")

    def test_duplicates_and_out_of_order(self):
        rid = self.room()
        t = int(time.time())
        start = lk_event("room_started", rid, created_at=t, event_id="EV_dup_%s" % rid)
        self.assertEqual(lk_send(self.m, start)[0], 200)
        self.finish(rid, created_at=t + 2)
        self.assertEqual(self.status(rid), "open")
        # The same delivery again changes nothing.
        self.assertEqual(lk_send(self.m, start)[0], 200)
        self.assertEqual(self.status(rid), "open")
        # A late room_started older than the finish is stale.
        self.start(rid, created_at=t + 1)
        self.assertEqual(self.status(rid), "open")
        # participant_left after the end is harmless.
        st, _, _ = lk_send(self.m, lk_event("participant_left", rid, participant="p1",
                                            created_at=t + 3))
        self.assertEqual(st, 200)
        self.assertEqual(self.status(rid), "open")

    # ---- deletion with live meetings ------------------------------------

    def test_delete_matrix_with_live_meeting(self):
        rows = [
            ("fail", "fail", 409, "room_has_active_meeting",
             " cannot be deleted because it has an active meeting.", "active_meeting"),
            ("force", "fail", 200, "room_with_active_meeting_deleted",
             " with active meeting deleted successfully", 404),
            ("when_meeting_ends", "fail", 202,
             "room_with_active_meeting_scheduled_to_be_deleted",
             " with active meeting scheduled to be deleted when the meeting ends",
             "active_meeting"),
        ]
        for wm, wr, code, success, msg, after in rows:
            rid = self.room()
            self.start(rid)
            st, _, body = self.api("DELETE", "/rooms/%s?withMeeting=%s&withRecordings=%s"
                                   % (rid, wm, wr))
            self.assertEqual(st, code, wm)
            key = "error" if code == 409 else "successCode"
            self.assertEqual(body[key], success)
            self.assertEqual(body["message"], "Room '%s'%s" % (rid, msg))
            self.assertEqual(self.status(rid), after, wm)
            if code == 202:
                self.assertEqual(body["room"]["meetingEndAction"], "delete")
                self.assertEqual(body["room"]["status"], "active_meeting")
                self.finish(rid)
                self.assertEqual(self.status(rid), 404)

    def test_bulk_delete_with_live_meetings(self):
        idle, live, live2 = self.room(), self.room(), self.room()
        self.start(live)
        self.start(live2)
        q = urllib.parse.quote("%s,%s" % (idle, live))
        st, _, body = self.api("DELETE", "/rooms?roomIds=" + q)
        self.assertEqual(st, 400)
        self.assertEqual([s["roomId"] for s in body["successful"]], [idle])
        self.assertEqual(body["failed"], [{
            "roomId": live, "error": "room_has_active_meeting",
            "message": "Room '%s' cannot be deleted because it has an active meeting." % live}])
        st, _, body = self.api("DELETE", "/rooms?withMeeting=force&roomIds=%s,%s"
                               % (live, live2))
        self.assertEqual(st, 200)
        self.assertEqual([s["successCode"] for s in body["successful"]],
                         ["room_with_active_meeting_deleted"] * 2)
        self.assertEqual(self.status(live), 404)
        self.assertEqual(self.status(live2), 404)


class ExpiryTest(unittest.TestCase):
    def set_dates(self, data_dir, nshards, dates):
        """Rewrites autoDeletionDate of rooms while meetd is stopped."""
        for s in range(nshards):
            db = sqlite3.connect(os.path.join(data_dir, "shard-%d.db" % s))
            for rid, date in dates.items():
                db.execute("UPDATE rooms SET auto_deletion_date = ? WHERE room_id = ?",
                           (date, rid))
            db.commit()
            db.close()

    def test_expired_rooms_processed_at_start_and_periodically(self):
        env = {"MEET_GC_INTERVAL_MS": "200"}
        m = Meetd(workers=2, env=env)
        try:
            far = int(time.time() * 1000) + 2 * HOUR_MS
            ids = {}
            for name, policy in [("idle", None),
                                 ("live", {"withMeeting": "when_meeting_ends",
                                           "withRecordings": "close"}),
                                 ("force", {"withMeeting": "force",
                                            "withRecordings": "force"}),
                                 ("later", None), ("never", None)]:
                body = {"roomName": name}
                if name != "never":
                    body["autoDeletionDate"] = far
                if policy:
                    body["autoDeletionPolicy"] = policy
                st, _, room = m.request("POST", "/api/v1/rooms", body=body)
                self.assertEqual(st, 201)
                ids[name] = room["roomId"]
            for name in ("live", "force"):
                self.assertEqual(lk_send(m, lk_event("room_started", ids[name]))[0], 200)
            self.assertEqual(m.stop(), 0)
            now = int(time.time() * 1000)
            self.set_dates(m.data_dir, 2, {ids["idle"]: now - 1000,
                                           ids["live"]: now - 1000,
                                           ids["force"]: now - 1000,
                                           ids["later"]: now + 1500})
            m2 = Meetd(workers=2, env=env, data_dir=m.data_dir)
            try:
                def get(name):
                    st, _, room = m2.request("GET", "/api/v1/rooms/" + ids[name])
                    return room if st == 200 else st
                deadline = time.time() + 5
                while time.time() < deadline and get("idle") != 404:
                    time.sleep(0.05)
                self.assertEqual(get("idle"), 404)   # deleted at start-up
                self.assertEqual(get("force"), 404)  # meeting ended, deleted
                live = get("live")
                self.assertEqual((live["status"], live["meetingEndAction"]),
                                 ("active_meeting", "delete"))
                self.assertNotEqual(get("later"), 404)
                deadline = time.time() + 5
                while time.time() < deadline and get("later") != 404:
                    time.sleep(0.05)
                self.assertEqual(get("later"), 404)  # by the periodic job
                self.assertNotEqual(get("never"), 404)
                self.assertEqual(lk_send(m2, lk_event("room_finished", ids["live"]))[0], 200)
                self.assertEqual(get("live"), 404)
            finally:
                m2.stop()
        finally:
            m.cleanup()


if __name__ == "__main__":
    harness.main()
