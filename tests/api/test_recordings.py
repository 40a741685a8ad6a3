"""Recordings end to end: start, active, stop, complete, media, URLs,
deletes, failures and restarts (BEHAVIOUR.md §7, §8.1, §10).

By default with the local egress backend (ffmpeg records a synthetic
pattern); test_recordings_livekit.py runs the same tests with the livekit
backend against the LiveKit test double (recording_backends.py)."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness
import recording_backends
from harness import Meetd, lk_event, lk_send
from recording_backends import SMALL

B = recording_backends.current()


def ffprobe_duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "format=duration", "-of", "json", path],
                         capture_output=True, text=True, timeout=30)
    return float(json.loads(out.stdout)["format"]["duration"])


class RecordingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = B.meetd(workers=2)

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    def api(self, method, path, body=None, **kw):
        return self.m.request(method, "/api/v1" + path, body=body, **kw)

    def live_room(self, recording=True, participants=True, **config):
        cfg = {"recording": {"enabled": recording, "encoding": SMALL}}
        cfg.update(config)
        st, _, room = self.api("POST", "/rooms", {"roomName": "rec", "config": cfg})
        self.assertEqual(st, 201)
        rid = room["roomId"]
        B.start_meeting(self.m, rid, "alice" if participants else None)
        return rid

    def start(self, rid):
        st, h, rec = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual(st, 201, rec)
        return rec, h

    def wait_status(self, rec_id, statuses, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, _, rec = self.api("GET", "/recordings/" + rec_id)
            if st == 200 and rec["status"] in statuses:
                return rec
            time.sleep(0.1)
        self.fail("recording %s never reached %s (last %s)" % (rec_id, statuses, rec))

    def test_full_flow(self):
        rid = self.live_room()
        rec, h = self.start(rid)
        rec_id = rec["recordingId"]
        self.assertRegex(rec_id, r"^%s--EG_[A-Za-z0-9]{12}--[0-9a-f]{10}$" % rid)
        self.assertEqual(rec["status"], "active")
        self.assertEqual(rec["roomId"], rid)
        self.assertEqual(rec["roomName"], "rec")
        self.assertEqual(rec["layout"], "grid")
        self.assertEqual(rec["encoding"], SMALL)
        self.assertEqual(rec["filename"], "%s--%s.mp4" % (rid, rec_id.split("--")[2]))
        for k in ("endDate", "duration", "size"):
            self.assertNotIn(k, rec)
        self.assertTrue(h["location"].endswith("/meet/api/v1/recordings/" + rec_id))
        # One recording per room at a time.
        st, _, body = self.api("POST", "/recordings", {"roomId": rid})
        self.assertEqual((st, body), (409, {
            "error": "Recording Error",
            "message": "Room '%s' is already being recorded" % rid}))
        time.sleep(2)
        st, h, stopped = self.api("POST", "/recordings/%s/stop" % rec_id)
        self.assertEqual(st, 202, stopped)
        self.assertIn(stopped["status"], ("ending", "complete"))
        self.assertTrue(h["location"].endswith("/recordings/" + rec_id))
        done = self.wait_status(rec_id, ("complete",))
        self.assertGreater(done["size"], 0)
        self.assertGreater(done["duration"], 1.0)
        self.assertGreaterEqual(done["endDate"], done["startDate"])
        self.assertEqual(done["details"], "End reason: StopEgress API")
        # /metrics counts recordings by the statuses they went through.
        st, _, metrics = self.m.request("GET", "/metrics", key=False)
        for status in ("starting", "active", "ending", "complete"):
            line = [l for l in metrics.splitlines() if l.startswith(
                'meetd_recording_transitions_total{status="%s"}' % status)]
            self.assertTrue(line and float(line[0].split()[-1]) >= 1, status)
        # Stopping again is a conflict.
        st, _, body = self.api("POST", "/recordings/%s/stop" % rec_id)
        self.assertEqual(st, 409)
        self.assertEqual(body["message"], "Recording '%s' is already stopped" % rec_id)
        # The media is the file, whole and ranged, and ffprobe agrees on
        # the duration.
        st, hh, media = self.media(rec_id)
        self.assertEqual(st, 200)
        self.assertEqual(len(media), done["size"])
        self.assertEqual(hh["content-type"], "video/mp4")
        path = os.path.join(self.m.tmp, "dl.mp4")
        with open(path, "wb") as f:
            f.write(media)
        self.assertLess(abs(ffprobe_duration(path) - done["duration"]), 1.0)
        st, hh, part = self.media(rec_id, {"Range": "bytes=10-99"})
        self.assertEqual((st, part), (206, media[10:100]))
        self.assertEqual(hh["content-range"], "bytes 10-99/%d" % len(media))
        # Listing, URL secrets, deletion.
        st, _, page = self.api("GET", "/recordings?roomId=" + rid)
        self.assertEqual([r["recordingId"] for r in page["recordings"]], [rec_id])
        st, _, url = self.api("GET", "/recordings/%s/url" % rec_id)
        self.assertEqual(st, 200)
        secret = urllib.parse.parse_qs(urllib.parse.urlparse(url["url"]).query)["secret"][0]
        self.assertTrue(url["url"].startswith(
            "http://127.0.0.1:%d/meet/recording/%s?secret=" % (self.m.port, rec_id)))
        st, _, anon = self.m.request("GET", "/api/v1/recordings/%s?secret=%s"
                                     % (rec_id, secret), key=False)
        self.assertEqual((st, anon["recordingId"]), (200, rec_id))
        st, _, body = self.m.request("GET", "/api/v1/recordings/%s?secret=nope" % rec_id,
                                     key=False)
        self.assertEqual((st, body), (400, {
            "error": "Recording Error",
            "message": "Secret 'nope' is not recognized for recording '%s'" % rec_id}))
        st, _, priv = self.api("GET", "/recordings/%s/url?privateAccess=TRUE" % rec_id)
        psecret = urllib.parse.parse_qs(urllib.parse.urlparse(priv["url"]).query)["secret"][0]
        self.assertNotEqual(psecret, secret)
        st, _, body = self.api("DELETE", "/recordings/" + rec_id)
        self.assertEqual((st, body), (200, {
            "message": "Recording '%s' deleted successfully" % rec_id}))
        st, _, body = self.api("GET", "/recordings/" + rec_id)
        self.assertEqual((st, body["message"]), (404, "Recording '%s' not found" % rec_id))
        media_file = os.path.join(B.media_dir(self.m, rid), done["filename"])
        self.assertFalse(os.path.exists(media_file))

    def media(self, rec_id, headers=None):
        return self.m.request("GET", "/api/v1/recordings/%s/media" % rec_id,
                              headers=headers, binary=True)

    def test_start_preconditions(self):
        st, _, body = self.api("POST", "/recordings", {"roomId": "no_room-1"})
        self.assertEqual((st, body), (404, {"error": "Room Error",
                                            "message": "Room 'no_room-1' does not exist"}))
        off = self.live_room(recording=False)
        st, _, body = self.api("POST", "/recordings", {"roomId": off})
        self.assertEqual((st, body), (403, {
            "error": "Recording Error",
            "message": "Recording is disabled for room '%s'" % off}))
        empty = self.live_room(participants=False)
        st, _, body = self.api("POST", "/recordings", {"roomId": empty})
        self.assertEqual((st, body), (409, {
            "error": "Recording Error",
            "message": "Room '%s' has no participants" % empty}))
        st, _, body = self.api("POST", "/recordings", {})
        self.assertEqual((st, body["details"]), (422, [{"field": "roomId",
                                                        "message": "Required"}]))
        st, _, body = self.api("POST", "/recordings", {"roomId": off,
                                                       "config": {"layout": "x"}})
        self.assertEqual(st, 422)
        self.assertEqual(body["details"][0]["field"], "config.layout")

    def test_stop_and_delete_errors(self):
        rid = self.live_room()
        fake = "%s--EG_abcdefghijkl--0123456789" % rid
        st, _, body = self.api("POST", "/recordings/%s/stop" % fake)
        self.assertEqual((st, body), (404, {
            "error": "Recording Error",
            "message": "Recording 'EG_abcdefghijkl' not found"}))
        st, _, body = self.api("POST", "/recordings/bad/stop")
        self.assertEqual((st, body["details"]), (422, [{
            "field": "recordingId",
            "message": "recordingId does not follow the expected format"}]))
        rec, _ = self.start(rid)
        st, _, body = self.api("DELETE", "/recordings/" + rec["recordingId"])
        self.assertEqual((st, body["message"]), (409, "Recording '%s' is not stopped yet"
                                                 % rec["recordingId"]))
        st, _, body = self.media(rec["recordingId"])
        self.assertEqual(st, 409)
        self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.wait_status(rec["recordingId"], ("complete",))
        ids = "%s,%s,%s" % (rec["recordingId"], fake, rec["recordingId"])
        st, _, body = self.api("DELETE", "/recordings?recordingIds=" + ids)
        self.assertEqual(st, 400)
        self.assertEqual(body, {"message": "1 recording(s) could not be deleted",
                                "deleted": [rec["recordingId"]],
                                "failed": [{"recordingId": fake,
                                            "error": "Recording '%s' not found" % fake}]})

    def test_room_force_delete_removes_recordings(self):
        rid = self.live_room()
        rec, _ = self.start(rid)
        self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
        self.wait_status(rec["recordingId"], ("complete",))
        st, _, body = self.api("DELETE", "/rooms/%s?withMeeting=force&withRecordings=fail" % rid)
        self.assertEqual((st, body["error"]), (409, "room_with_active_meeting_has_recordings"))
        st, _, body = self.api("DELETE", "/rooms/%s?withMeeting=force&withRecordings=force" % rid)
        self.assertEqual((st, body["successCode"]),
                         (200, "room_with_active_meeting_and_recordings_deleted"))
        st, _, _ = self.api("GET", "/recordings/" + rec["recordingId"])
        self.assertEqual(st, 404)
        self.assertFalse(os.path.exists(B.media_dir(self.m, rid)))

    def test_recording_ends_with_its_meeting(self):
        rid = self.live_room()
        rec, _ = self.start(rid)
        time.sleep(1)
        B.end_meeting(self.m, rid)
        done = self.wait_status(rec["recordingId"], ("complete",))
        self.assertGreater(done["size"], 0)
        # The room's lock went with the recording: a new meeting can record.
        B.start_meeting(self.m, rid, "dave")
        rec2, _ = self.start(rid)
        self.api("POST", "/recordings/%s/stop" % rec2["recordingId"])

    def test_delete_matrix_with_meeting_and_recordings(self):
        """Every §6.5 row with an active meeting and recordings, end to end."""
        rows = [
            ("fail", "force", 409, "room_with_recordings_has_active_meeting", None),
            ("force", "fail", 409, "room_with_active_meeting_has_recordings", None),
            ("when_meeting_ends", "fail", 409,
             "room_with_active_meeting_has_recordings_cannot_schedule_deletion", None),
            ("force", "force", 200,
             "room_with_active_meeting_and_recordings_deleted", 404),
            ("force", "close", 200, "room_with_active_meeting_closed", "closed"),
            ("when_meeting_ends", "force", 202,
             "room_with_active_meeting_and_recordings_scheduled_to_be_deleted", 404),
            ("when_meeting_ends", "close", 202,
             "room_with_active_meeting_scheduled_to_be_closed", "closed"),
        ]
        for wm, wr, code, name, after in rows:
            with self.subTest(withMeeting=wm, withRecordings=wr):
                rid = self.live_room()
                rec, _ = self.start(rid)
                self.api("POST", "/recordings/%s/stop" % rec["recordingId"])
                self.wait_status(rec["recordingId"], ("complete",))
                st, _, body = self.api("DELETE", "/rooms/%s?withMeeting=%s&withRecordings=%s"
                                       % (rid, wm, wr))
                self.assertEqual(st, code, body)
                self.assertEqual(body["error" if code == 409 else "successCode"], name)
                if code == 202:
                    self.assertEqual(body["room"]["status"], "active_meeting")
                    B.end_meeting(self.m, rid)
                    self.wait_room_gone_or_not_active(rid)
                st, _, room = self.api("GET", "/rooms/" + rid)
                if after is None:
                    self.assertEqual(room["status"], "active_meeting")
                elif after == 404:
                    self.assertEqual(st, 404)
                    st, _, _ = self.api("GET", "/recordings/" + rec["recordingId"])
                    self.assertEqual(st, 404)
                else:
                    self.assertEqual((room["status"], room["meetingEndAction"]),
                                     (after, "none"))
                    st, _, _ = self.api("GET", "/recordings/" + rec["recordingId"])
                    self.assertEqual(st, 200)

    def wait_room_gone_or_not_active(self, rid, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, _, room = self.api("GET", "/rooms/" + rid)
            if st == 404 or room.get("status") != "active_meeting":
                return
            time.sleep(0.05)
        self.fail("the meeting of room %s never ended" % rid)

    def test_egress_killed_mid_recording_fails(self):
        rid = self.live_room()
        rec, _ = self.start(rid)
        B.kill_egress(self.m, rec["recordingId"])
        failed = self.wait_status(rec["recordingId"], ("failed",))
        self.assertIn("error", failed)
        # The lock is released: the room can record again.
        rec2, _ = self.start(rid)
        self.api("POST", "/recordings/%s/stop" % rec2["recordingId"])


def live_room(m, participant):
    """A room that records SMALL, with `participant` in its meeting."""
    st, _, room = m.request("POST", "/api/v1/rooms", body={
        "config": {"recording": {"enabled": True, "encoding": SMALL}}})
    assert st == 201, room
    B.start_meeting(m, room["roomId"], participant)
    return room["roomId"]


class RestartTest(unittest.TestCase):
    def test_meetd_killed_mid_recording_is_not_stuck(self):
        m = B.meetd(workers=2)
        m.keep_double = True
        try:
            rid = live_room(m, "bob")
            st, _, rec = m.request("POST", "/api/v1/recordings", body={"roomId": rid})
            self.assertEqual(st, 201, rec)
            m.proc.kill()
            m.proc.wait()
            if not B.egress_survives_restart():
                subprocess.run(["pkill", "-9", "-f", rec["recordingId"].split("--")[2]])
            m2 = (B.meetd(workers=2, data_dir=m.data_dir, double=m.double)
                  if B.egress_survives_restart()
                  else Meetd(workers=2, data_dir=m.data_dir))
            try:
                if B.egress_survives_restart():
                    # LiveKit kept recording: after the restart the
                    # recording is still active (the stale job asks LiveKit)
                    # and stops normally.
                    time.sleep(0.5)
                    st, _, got = m2.request("GET", "/api/v1/recordings/" + rec["recordingId"])
                    self.assertEqual(got["status"], "active")
                    st, _, _ = m2.request("POST", "/api/v1/recordings/%s/stop"
                                          % rec["recordingId"])
                    self.assertEqual(st, 202)
                    want = "complete"
                else:
                    want = "aborted"
                deadline = time.time() + 10
                while time.time() < deadline:
                    st, _, got = m2.request("GET", "/api/v1/recordings/" + rec["recordingId"])
                    if got.get("status") == want:
                        break
                    time.sleep(0.1)
                self.assertEqual(got["status"], want)
                # The room's lock went with it.
                st, _, rec2 = m2.request("POST", "/api/v1/recordings", body={"roomId": rid})
                self.assertEqual(st, 201, rec2)
                m2.request("POST", "/api/v1/recordings/%s/stop" % rec2["recordingId"])
            finally:
                m2.stop()
        finally:
            m.cleanup()


    def test_lock_left_by_a_dead_start_is_freed(self):
        # A start that died between taking the room's lock and its
        # recording's first event leaves the lock and no recording; the
        # stale job frees it (at once for locks older than this meetd).
        m = B.meetd(workers=2)
        m.keep_double = True
        try:
            rid = live_room(m, "eve")
            self.assertEqual(m.stop(), 0)
            for s in range(2):
                db = sqlite3.connect(os.path.join(m.data_dir, "shard-%d.db" % s))
                db.execute("UPDATE rooms SET rec_lock_token = 'dead',"
                           " rec_lock_since = ? WHERE room_id = ?",
                           (int(time.time() * 1000) - 1000, rid))
                db.commit()
                db.close()
            env = {"MEET_GC_INTERVAL_MS": "200"}
            m2 = (B.meetd(workers=2, data_dir=m.data_dir, double=m.double, env=env)
                  if B.egress_survives_restart()
                  else Meetd(workers=2, data_dir=m.data_dir, env=env))
            try:
                deadline = time.time() + 5
                while True:
                    st, _, rec = m2.request("POST", "/api/v1/recordings",
                                            body={"roomId": rid})
                    if st != 409 or time.time() > deadline:
                        break
                    time.sleep(0.1)
                self.assertEqual(st, 201, rec)
                m2.request("POST", "/api/v1/recordings/%s/stop" % rec["recordingId"])
            finally:
                m2.stop()
        finally:
            m.cleanup()


class WorkerRestartTest(unittest.TestCase):
    @unittest.skipUnless(B.name == "local", "the local backend's own events")
    def test_events_survive_a_worker_restart(self):
        # An egress that ends while its room's worker is down: its last
        # events wait for the new worker instead of being lost.
        tmp = tempfile.mkdtemp(prefix="meetd-ff-")
        fake = os.path.join(tmp, "ffmpeg")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\nfor a; do out=$a; done\n'
                    'printf "out_time_us=500000\\nprogress=continue\\n"\n'
                    'sleep 2\n'
                    'printf "recorded" > "$out"\n'
                    'printf "out_time_us=2000000\\nprogress=end\\n"\n'
                    'exit 0\n')
        os.chmod(fake, 0o755)
        m = Meetd(workers=1, env={"MEET_FFMPEG": fake})
        try:
            st, _, room = m.request("POST", "/api/v1/rooms", body={
                "config": {"recording": {"enabled": True}}})
            rid = room["roomId"]
            B.start_meeting(m, rid, "fay")
            t0 = time.time()
            st, _, rec = m.request("POST", "/api/v1/recordings", body={"roomId": rid})
            self.assertEqual((st, rec["status"]), (201, "active"), rec)
            pid = harness.ready_worker(m, 0)
            time.sleep(max(0, 1.5 - (time.time() - t0)))
            os.kill(pid, signal.SIGSTOP)
            time.sleep(max(0, 2.7 - (time.time() - t0)))
            os.kill(pid, signal.SIGKILL)
            deadline = time.time() + 15
            got = None
            while time.time() < deadline:
                st, _, got = m.request("GET", "/api/v1/recordings/" + rec["recordingId"])
                if st == 200 and got["status"] not in ("active", "ending"):
                    break
                time.sleep(0.1)
            self.assertEqual(got["status"], "complete", got)
            self.assertEqual(got["size"], len("recorded"))
        finally:
            m.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


class StartTimeoutTest(unittest.TestCase):
    def test_egress_never_active_gives_503_and_failed(self):
        m = B.meetd_never_active({"MEET_RECORDING_START_TIMEOUT_MS": "700"})
        try:
            st, _, room = m.request("POST", "/api/v1/rooms", body={})
            rid = room["roomId"]
            B.start_meeting(m, rid, "carol")
            t0 = time.time()
            st, _, body = m.request("POST", "/api/v1/recordings", body={"roomId": rid})
            self.assertEqual((st, body), (503, {
                "error": "Recording Error",
                "message": "Recording in room '%s' timed out while starting" % rid}))
            self.assertLess(time.time() - t0, 5)
            # meetd marks it failed and stops the egress. LiveKit then
            # aborts the egress that never started, and its egress_ended
            # overwrites the status, as in the reference (LIVEKIT.md §2.3).
            final = ("failed",) if B.name == "local" else ("failed", "aborted")
            deadline = time.time() + 5
            while time.time() < deadline:
                st, _, page = m.request("GET", "/api/v1/recordings?roomId=" + rid)
                if page["recordings"] and page["recordings"][0]["status"] in final:
                    break
                time.sleep(0.1)
            self.assertIn(page["recordings"][0]["status"], final)
            if B.name == "livekit":
                # The egress was asked to stop.
                self.assertTrue(any(c["method"] == "StopEgress"
                                    for c in m.double.calls))
        finally:
            m.cleanup()


class ConcurrentTest(unittest.TestCase):
    def test_rooms_record_concurrently(self):
        with B.meetd(workers=2) as m:
            recs = []
            for i in range(3):
                rid = live_room(m, "p")
                t0 = time.time()
                st, _, rec = m.request("POST", "/api/v1/recordings", body={"roomId": rid})
                self.assertEqual(st, 201, rec)
                self.assertLess(time.time() - t0, 5)
                recs.append(rec["recordingId"])
            for r in recs:
                st, _, got = m.request("GET", "/api/v1/recordings/" + r)
                self.assertEqual(got["status"], "active")
            for r in recs:
                st, _, _ = m.request("POST", "/api/v1/recordings/%s/stop" % r)
                self.assertEqual(st, 202)


class LiveKitEgressWebhookTest(unittest.TestCase):
    """Egress webhooks (the livekit backend's path) drive the same state
    machine (LIVEKIT.md §2.3)."""

    def test_egress_events_make_a_recording(self):
        with Meetd(workers=2) as m:
            st, _, room = m.request("POST", "/api/v1/rooms", body={"roomName": "LK"})
            rid = room["roomId"]
            egress = "EG_Kp4sW9nQz2Lx"
            path = "openvidu-meet/recordings/%s/%s--7c1e9a04bd" % (rid, rid)

            def info(status, **extra):
                i = {"egressId": egress, "roomId": "RM_x", "roomName": rid,
                     "updatedAt": "1736500074001000000",
                     "roomComposite": {"roomName": rid, "layout": "speaker",
                                       "preset": "H264_1080P_30"},
                     "fileResults": [{"filename": path + ".mp4"}]}
                if status:
                    i["status"] = status
                i.update(extra)
                return i

            def send(event, egress_info):
                body = json.dumps({"event": event, "id": "EV_%s_%s" % (event, time.time()),
                                   "createdAt": str(int(time.time())),
                                   "room": {"sid": "RM_x", "name": rid},
                                   "egressInfo": egress_info}).encode()
                self.assertEqual(lk_send(m, body)[0], 200)

            rec_id = "%s--%s--7c1e9a04bd" % (rid, egress)
            send("egress_started", info(None))
            st, _, rec = m.request("GET", "/api/v1/recordings/" + rec_id)
            self.assertEqual((st, rec["status"]), (200, "starting"))
            self.assertEqual(rec["layout"], "speaker")
            self.assertEqual(rec["encoding"], "H264_1080P_30")
            self.assertEqual(rec["roomName"], "LK")
            send("egress_updated", info("EGRESS_ACTIVE", startedAt="1736500012345678901"))
            send("egress_ended", info("EGRESS_COMPLETE", startedAt="1736500012345678901",
                                      endedAt="1736500073845678901",
                                      details="End reason: StopEgress API",
                                      fileResults=[{"filename": path + ".mp4",
                                                    "duration": "61500000000",
                                                    "size": "7340032"}]))
            st, _, rec = m.request("GET", "/api/v1/recordings/" + rec_id)
            self.assertEqual(rec["status"], "complete")
            self.assertEqual(rec["duration"], 61.5)
            self.assertEqual(rec["size"], 7340032)
            self.assertEqual(rec["filename"], "%s--7c1e9a04bd.mp4" % rid)
            self.assertAlmostEqual(rec["startDate"], 1736500012345.679, places=2)
            self.assertEqual(rec["details"], "End reason: StopEgress API")


if __name__ == "__main__":
    harness.main()
