"""The livekit recording backend against the LiveKit test double: the exact
Twirp calls meetd makes (bodies, grants), LiveKit being down or slow, egress
failures, meetings ended through DeleteRoom, and webhook faults (LIVEKIT.md
§1, §3, §5). The recording flows themselves are test_recordings_livekit.py.
"""

import os
import sqlite3
import time
import unittest

import harness
import recording_backends
from recording_backends import SMALL

B = recording_backends.LiveKitBackend()


class LiveKitBackendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = B.meetd(workers=2)
        cls.d = cls.m.double

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def setUp(self):
        self.d.reset_faults()

    def api(self, method, path, body=None, **kw):
        return self.m.request(method, "/api/v1" + path, body=body, **kw)

    def room(self, **recording):
        rec = {"enabled": True}
        rec.update(recording)
        st, _, room = self.api("POST", "/rooms", {"roomName": "lk",
                                                  "config": {"recording": rec}})
        self.assertEqual(st, 201)
        return room["roomId"]

    def room_names(self):
        return [r["name"] for r in self.d.rooms()]

    def calls(self, method, since=0):
        return [c for c in self.d.calls[since:] if c["method"] == method]

    def wait_status(self, rec_id, status, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, _, rec = self.api("GET", "/recordings/" + rec_id)
            if st == 200 and rec["status"] == status:
                return rec
            time.sleep(0.05)
        self.fail("%s never %s (last %s)" % (rec_id, status, rec))

    def test_twirp_calls_as_the_reference_sends_them(self):
        rid = self.room(layout="speaker", encoding=SMALL)
        B.start_meeting(self.m, rid, "ana")
        n = len(self.d.calls)
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        self.assertEqual(rec["status"], "active")
        egress = rec["recordingId"].split("--")[1]
        uid = rec["recordingId"].split("--")[2]

        parts = self.calls("ListParticipants", n)
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0]["body"], {"room": rid})
        self.assertEqual(parts[0]["claims"]["video"], {"roomAdmin": True, "room": rid})

        start = self.calls("StartRoomCompositeEgress", n)
        self.assertEqual(len(start), 1)
        path = "openvidu-meet/recordings/%s/%s--%s" % (rid, rid, uid)
        out = {"filepath": path, "disableManifest": True}
        self.assertEqual(start[0]["body"], {
            "roomName": rid, "layout": "speaker", "file": out,
            "advanced": {"width": 320, "height": 240, "depth": 24,
                         "framerate": 15, "audioCodec": "AAC",
                         "audioBitrate": 64, "audioFrequency": 44100,
                         "videoCodec": "H264_MAIN", "videoBitrate": 300,
                         "keyFrameInterval": 1},
            "fileOutputs": [out]})
        # Field-number order, as protobuf-es writes it.
        self.assertEqual(list(start[0]["body"]),
                         ["roomName", "layout", "file", "advanced", "fileOutputs"])
        c = start[0]["claims"]
        self.assertEqual(c["video"], {"roomRecord": True})
        self.assertEqual(c["iss"], harness.LK_KEY)
        self.assertEqual(c["nbf"], 0)
        self.assertAlmostEqual(c["exp"], time.time() + 600, delta=30)
        self.assertNotIn("sub", c)

        n = len(self.d.calls)
        st, _, stopped = self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.assertEqual(st, 202, stopped)
        # The answer is LiveKit's view of the stop, with the room's name.
        self.assertEqual(stopped["status"], "ending")
        self.assertEqual(stopped["roomName"], "lk")
        self.assertEqual(stopped["recordingId"], rec["recordingId"])
        listed = self.calls("ListEgress", n)
        self.assertEqual(listed[0]["body"], {"roomName": rid, "egressId": egress})
        stop = self.calls("StopEgress", n)
        self.assertEqual([s["body"] for s in stop], [{"egressId": egress}])
        self.assertEqual(stop[0]["claims"]["video"], {"roomRecord": True})
        done = self.wait_status(rec["recordingId"], "complete")
        self.assertEqual(done["details"], "End reason: StopEgress API")
        self.assertGreater(done["size"], 0)

    def test_preset_encoding(self):
        rid = self.room(encoding="H264_1080P_30")
        B.start_meeting(self.m, rid, "bo")
        n = len(self.d.calls)
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid,
                                                      "config": {"layout": "grid"}})
        self.assertEqual(st, 201, rec)
        body = self.calls("StartRoomCompositeEgress", n)[0]["body"]
        self.assertEqual(body["preset"], "H264_1080P_30")
        self.assertEqual(body["layout"], "grid")
        self.assertNotIn("advanced", body)
        self.assertEqual(rec["encoding"], "H264_1080P_30")
        self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.wait_status(rec["recordingId"], "complete")

    def test_camel_case_replies_are_understood(self):
        self.d.set_faults(reply_style="camel")
        rid = self.room()
        B.start_meeting(self.m, rid, "cy")
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        st, _, stopped = self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.assertEqual((st, stopped["status"]), (202, "ending"))
        self.wait_status(rec["recordingId"], "complete")

    def test_no_participants_in_livekit(self):
        rid = self.room()
        B.start_meeting(self.m, rid, None)  # the room exists, nobody in it
        st, _, body = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual((st, body), (409, {
            "error": "Recording Error",
            "message": "Room '%s' has no participants" % rid}))
        # The lock was released: with someone in, it records.
        self.d.join(rid, "late")
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.wait_status(rec["recordingId"], "complete")

    def test_livekit_slow_answers_within_the_timeout(self):
        rid = self.room()
        B.start_meeting(self.m, rid, "di")
        # Slower than MEET_LIVEKIT_TIMEOUT_MS (3 s): as the reference, a
        # LiveKit that cannot be asked means no participants.
        self.d.set_faults(slow_ms=6000)
        t0 = time.time()
        st, _, body = self.api("POST", "/recordings", {"roomId": rid})
        took = time.time() - t0
        self.assertEqual((st, body["message"]), (409, "Room '%s' has no participants" % rid))
        self.assertLess(took, 5.5)
        self.assertGreater(took, 2.5)
        self.d.reset_faults()

    def test_livekit_refusing(self):
        rid = self.room()
        B.start_meeting(self.m, rid, "ed")
        self.d.set_faults(refuse="503")
        st, _, body = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual((st, body["message"]), (409, "Room '%s' has no participants" % rid))
        fake = "%s--EG_abcdefghijkl--0123456789" % rid
        st, _, body = self.api("POST", "/recordings/%s/stop" % fake)
        self.assertEqual((st, body), (500, {
            "error": "Internal Server Error",
            "message": "Unexpected error while getting egress 'EG_abcdefghijkl'"}))
        self.d.reset_faults()

    def test_egress_start_failure(self):
        rid = self.room()
        B.start_meeting(self.m, rid, "fa")
        self.d.set_faults(egress_start_error=True)
        st, _, body = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual((st, body), (500, {
            "error": "Internal Server Error",
            "message": "Unexpected error while starting Room Composite Egress "
                       "for room '%s'" % rid}))
        self.d.reset_faults()
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)  # the lock was released
        self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.wait_status(rec["recordingId"], "complete")

    def test_egress_endings(self):
        for status, want, code in (("EGRESS_FAILED", "failed", 500),
                                   ("EGRESS_ABORTED", "aborted", 412),
                                   ("EGRESS_LIMIT_REACHED", "limit_reached", 413)):
            with self.subTest(status=status):
                rid = self.room()
                B.start_meeting(self.m, rid, "gu")
                st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
                self.assertEqual(st, 201, rec)
                self.d.end_egress(rec["recordingId"].split("--")[1], status=status)
                got = self.wait_status(rec["recordingId"], want)
                self.assertEqual(got.get("errorCode"), code)

    def test_force_delete_with_live_meeting_deletes_the_livekit_room(self):
        rid = self.room()
        B.start_meeting(self.m, rid, "hu")
        self.assertIn(rid, self.room_names())
        n = len(self.d.calls)
        st, _, body = self.api("DELETE", "/rooms/%s?withMeeting=force" % rid)
        self.assertEqual((st, body["successCode"]), (200, "room_with_active_meeting_deleted"))
        deadline = time.time() + 5
        while time.time() < deadline and rid in self.room_names():
            time.sleep(0.05)
        self.assertNotIn(rid, self.room_names())
        deletes = self.calls("DeleteRoom", n)
        self.assertEqual([c["body"] for c in deletes], [{"room": rid}])
        self.assertEqual(deletes[0]["claims"]["video"], {"roomCreate": True})
        lists = self.calls("ListRooms", n)
        self.assertEqual(lists[0]["body"], {"names": [rid]})
        self.assertEqual(lists[0]["claims"]["video"], {"roomList": True})
        st, _, _ = self.api("GET", "/rooms/" + rid)
        self.assertEqual(st, 404)

    def test_webhook_faults_change_nothing(self):
        rid = self.room()
        B.start_meeting(self.m, rid, "iv")
        for fault in ("bad_signature", "wrong_iss", "expired", "hash_mismatch",
                      "wrong_content_type"):
            with self.subTest(fault=fault):
                self.d.set_faults(**{fault: True})
                self.d.leave(rid, "iv")
                self.d.join(rid, "iv2")
                B.end_meeting(self.m, rid)
                self.d.wait_idle(10)
                st, _, room = self.api("GET", "/rooms/" + rid)
                # room_finished was not believed: the meeting goes on.
                self.assertEqual(room["status"], "active_meeting")
                self.d.reset_faults()
                B.start_meeting(self.m, rid, "iv")

    def test_duplicate_and_whitespace_webhooks(self):
        self.d.set_faults(duplicate=True, whitespace=True)
        rid = self.room()
        B.start_meeting(self.m, rid, "jo")
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.wait_status(rec["recordingId"], "complete")
        st, _, page = self.api("GET", "/recordings?roomId=" + rid)
        self.assertEqual([r["recordingId"] for r in page["recordings"]],
                         [rec["recordingId"]])

    def test_out_of_order_webhooks(self):
        # room_finished overtakes the egress's last events (LIVEKIT.md §1.7).
        self.d.set_faults(out_of_order=True)
        rid = self.room()
        B.start_meeting(self.m, rid, "ol")
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        B.end_meeting(self.m, rid)
        self.d.wait_idle(10)
        order = [w["event"] for w in self.d.webhooks_sent
                 if w.get("room") == rid or w.get("egressId") ==
                 rec["recordingId"].split("--")[1]]
        self.assertLess(order.index("room_finished"), order.index("egress_ended"))
        done = self.wait_status(rec["recordingId"], "complete")
        self.assertGreater(done["size"], 0)
        st, _, room = self.api("GET", "/rooms/" + rid)
        self.assertEqual(room["status"], "open")
        # The lock went with the egress: the next meeting records.
        self.d.reset_faults()
        B.start_meeting(self.m, rid, "ol2")
        st, _, rec2 = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec2)
        self.api("POST", "/recordings/%s/stop" % rec2["recordingId"])
        self.wait_status(rec2["recordingId"], "complete")

    def test_room_closing_ends_its_recording(self):
        rid = self.room()
        B.start_meeting(self.m, rid, "ka")
        st, _, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        B.end_meeting(self.m, rid)
        done = self.wait_status(rec["recordingId"], "complete")
        self.assertEqual(done["details"], "End reason: Source closed")
        # room_finished travels in the room's queue, not the egress's: it
        # may come a little later.
        B.wait_room(self.m, rid, "open")


class ExpiryTest(unittest.TestCase):
    def test_expiry_with_force_deletes_the_livekit_room(self):
        env = {"MEET_GC_INTERVAL_MS": "200"}
        m = B.meetd(workers=2, env=env)
        m.keep_double = True
        d = m.double
        try:
            far = int(time.time() * 1000) + 2 * 3600 * 1000
            st, _, room = m.request("POST", "/api/v1/rooms", body={
                "autoDeletionDate": far,
                "autoDeletionPolicy": {"withMeeting": "force",
                                       "withRecordings": "force"}})
            self.assertEqual(st, 201)
            rid = room["roomId"]
            B.start_meeting(m, rid, "mo")
            self.assertEqual(m.stop(), 0)
            for s in range(2):
                db = sqlite3.connect(os.path.join(m.data_dir, "shard-%d.db" % s))
                db.execute("UPDATE rooms SET auto_deletion_date = ? WHERE room_id = ?",
                           (int(time.time() * 1000) - 1000, rid))
                db.commit()
                db.close()
            n = len(d.calls)
            m2 = B.meetd(workers=2, env=env, data_dir=m.data_dir, double=d)
            try:
                deadline = time.time() + 5
                while time.time() < deadline and rid in [r["name"] for r in d.rooms()]:
                    time.sleep(0.05)
                self.assertNotIn(rid, [r["name"] for r in d.rooms()])
                self.assertIn({"room": rid}, [c["body"] for c in d.calls[n:]
                                               if c["method"] == "DeleteRoom"])
                st, _, _ = m2.request("GET", "/api/v1/rooms/" + rid)
                self.assertEqual(st, 404)
            finally:
                m2.stop()
        finally:
            m.cleanup()


class LiveKitDownTest(unittest.TestCase):
    def test_start_with_livekit_down(self):
        d = None
        m = B.meetd(workers=1)
        try:
            st, _, room = m.request("POST", "/api/v1/rooms", body={})
            rid = room["roomId"]
            B.start_meeting(m, rid, "lu")
            m.keep_double = True
            d = m.double
            d.stop()  # connections are refused from now on
            t0 = time.time()
            st, _, body = m.request("POST", "/api/v1/recordings", body={"roomId": rid})
            self.assertEqual((st, body), (409, {
                "error": "Recording Error",
                "message": "Room '%s' has no participants" % rid}))
            self.assertLess(time.time() - t0, 3)
            # meetd itself is fine.
            st, _, _ = m.request("GET", "/api/v1/rooms/" + rid)
            self.assertEqual(st, 200)
        finally:
            m.cleanup()


if __name__ == "__main__":
    harness.main()
