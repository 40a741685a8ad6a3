"""Fault injection for recordings (issue 8 §2): acknowledged recordings
survive worker and gateway crashes.

Meetings run in 9 rooms (started through signed LiveKit webhooks); three
clients start and stop recordings in them (local ffmpeg backend, at most
three at once) while workers are killed with SIGKILL, then the whole meetd.
After a restart:

- every recording whose start got a 201 is listed by GET /recordings and
  can be read by id;
- nothing is invented: every listed recording belongs to one of the rooms,
  and those whose start was not acknowledged (a 503, or a connection lost
  in a kill) are at most the number of such attempts;
- no recording is left in progress: the egresses died with meetd, and
  meetd aborts every recording whose egress is gone at start-up (README,
  "recordings whose egress is gone are aborted at once"; BEHAVIOUR.md §10),
  so each ends complete, failed or aborted, and every room can record
  again (locks left by starts cut between lock and recording are freed);
- recordings that were complete before the faults stay complete, with
  their size, and their media is served whole.
"""

import collections
import os
import random
import signal
import sys
import threading
import time
import unittest

import harness
from harness import Meetd, kill9, list_all, lk_event, lk_send, ready_worker
from test_webhooks import discard

SMALL = {"video": {"width": 160, "height": 120, "framerate": 10,
                   "codec": "H264_MAIN", "bitrate": 100,
                   "keyFrameInterval": 1, "depth": 24},
         "audio": {"codec": "AAC", "bitrate": 32, "frequency": 44100}}

FINAL = {"complete", "failed", "aborted"}
START_OK = {201, 409, 503}  # 409: the room's previous recording is ending
STOP_OK = {202, 409, 503}   # 409: it ended already (its egress failed)


class RecordingsSurviveCrashesTest(unittest.TestCase):
    def live_room(self, m):
        st, _, room = m.request("POST", "/api/v1/rooms", body={
            "roomName": "fault-rec",
            "config": {"recording": {"enabled": True, "encoding": SMALL}}})
        self.assertEqual(st, 201, room)
        rid = room["roomId"]
        self.assertEqual(lk_send(m, lk_event("room_started", rid))[0], 200)
        self.assertEqual(lk_send(m, lk_event("participant_joined", rid,
                                             participant="p"))[0], 200)
        return rid

    def wait_status(self, m, rec_id, statuses, timeout=20):
        deadline = time.time() + timeout
        rec = None
        while time.time() < deadline:
            st, _, rec = m.request("GET", "/api/v1/recordings/" + rec_id)
            if st == 200 and rec["status"] in statuses:
                return rec
            time.sleep(0.1)
        self.fail("%s never reached %s (last %s)" % (rec_id, statuses, rec))

    def test_kill_workers_then_meetd_under_recording_load(self):
        m = Meetd(workers=3)
        m2 = None
        try:
            rooms = [self.live_room(m) for _ in range(9)]
            # Two recordings completed before any fault.
            done = {}
            for rid in rooms[:2]:
                st, _, rec = m.request("POST", "/api/v1/recordings",
                                       body={"roomId": rid})
                self.assertEqual(st, 201, rec)
                time.sleep(1.0)
                st, _, _ = m.request("POST", "/api/v1/recordings/%s/stop"
                                     % rec["recordingId"])
                self.assertEqual(st, 202)
                done[rec["recordingId"]] = self.wait_status(
                    m, rec["recordingId"], {"complete"})

            acked, unacked_starts, errors = set(), [0], []
            lock = threading.Lock()
            stop = threading.Event()

            def client(n):
                rng = random.Random(n)
                mine = rooms[n::3]
                i = 0
                while not stop.is_set():
                    rid = mine[i % len(mine)]
                    i += 1
                    try:
                        st, _, rec = m.request("POST", "/api/v1/recordings",
                                               body={"roomId": rid}, timeout=15)
                    except OSError:
                        with lock:
                            unacked_starts[0] += 1
                        time.sleep(0.02)
                        continue
                    if st != 201:
                        with lock:
                            unacked_starts[0] += 1
                            if st not in START_OK:
                                errors.append(("start", st, rec))
                        time.sleep(0.05)
                        continue
                    with lock:
                        acked.add(rec["recordingId"])
                    time.sleep(rng.uniform(0.1, 0.5))
                    try:
                        st, _, body = m.request(
                            "POST", "/api/v1/recordings/%s/stop"
                            % rec["recordingId"], timeout=15)
                    except OSError:
                        continue
                    if st not in STOP_OK:
                        with lock:
                            errors.append(("stop", st, body))

            threads = [threading.Thread(target=client, args=(n,))
                       for n in range(3)]
            for t in threads:
                t.start()
            # Workers are killed repeatedly while recordings start and stop.
            for round_ in range(5):
                time.sleep(0.8)
                os.kill(ready_worker(m, round_ % 3), signal.SIGKILL)
            time.sleep(0.8)
            # Then the whole gateway, without warning; its ffmpeg children
            # are stopped by the kernel (or by kill9 after a grace).
            kill9(m)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertGreaterEqual(len(acked), 5, "too little load to test")

            m2 = Meetd(workers=3, data_dir=m.data_dir)
            # The stale-recording pass runs at start-up; give it a moment.
            deadline = time.time() + 10 * harness.TIMEOUT_SCALE
            while True:
                listed = {r["recordingId"]: r for r in
                          list_all(m2, "/api/v1/recordings", "recordings")}
                live = {k: v["status"] for k, v in listed.items()
                        if v["status"] not in FINAL}
                if not live or time.time() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(live, {}, "recordings left in progress")
            statuses = collections.Counter(r["status"] for r in listed.values())
            sys.stderr.write("\n%d starts acknowledged, %d not; after the "
                             "restart %d listed: %s\n"
                             % (len(acked), unacked_starts[0], len(listed),
                                dict(statuses)))
            # Every acknowledged recording exists and can be read.
            self.assertEqual(acked - set(listed), set())
            for rec_id in acked:
                st, _, rec = m2.request("GET", "/api/v1/recordings/" + rec_id)
                self.assertEqual((st, rec["recordingId"]), (200, rec_id))
                self.assertIn(rec["status"], FINAL)
            # Nothing invented.
            extra = set(listed) - acked - set(done)
            self.assertLessEqual(len(extra), unacked_starts[0])
            for rec_id, rec in listed.items():
                self.assertIn(rec["roomId"], rooms)
                self.assertTrue(rec_id.startswith(rec["roomId"] + "--EG_"),
                                rec_id)
            # What was complete before the faults is untouched.
            for rec_id, before in done.items():
                rec = listed[rec_id]
                self.assertEqual((rec["status"], rec["size"]),
                                 ("complete", before["size"]))
                st, _, media = m2.request("GET", "/api/v1/recordings/%s/media"
                                          % rec_id, binary=True)
                self.assertEqual((st, len(media)), (200, before["size"]))
            # Aborting a recording releases its room's lock, and a start cut
            # by a kill after its shard took the lock but before the
            # recording was stored leaves a lock the stale job frees at
            # start-up: every room records again.
            for rid in rooms:
                st, _, rec = m2.request("POST", "/api/v1/recordings",
                                        body={"roomId": rid})
                self.assertEqual(st, 201, (rid, rec))
                st, _, _ = m2.request("POST", "/api/v1/recordings/%s/stop"
                                      % rec["recordingId"])
                self.assertEqual(st, 202)
            self.assertEqual(m2.stop(), 0)
        finally:
            if m2:
                discard(m2)
            discard(m)


if __name__ == "__main__":
    harness.main()
