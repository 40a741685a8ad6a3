"""Fault injection for the webhook outbox (issue 8 §2): every outgoing
webhook of an acknowledged event is delivered, at least once, across
worker and gateway crashes, and none is invented.

Three clients send signed LiveKit webhooks (room_started, room_finished,
alternately, for 5 rooms each), retrying an event (same id, as LiveKit
does) until it gets a 200; two more start and stop recordings, each in
its own live room. The receiver first answers 200, then 500 (entries wait for a
retry, with their attempts counted), then hangs (deliveries are in flight)
while workers are killed with SIGKILL and then the whole meetd. After a
restart with the receiver answering 200 again:

- per room, the distinct events delivered (a retry repeats the same body)
  are, in order of first arrival, exactly the acknowledged events (each
  LiveKit event that got a 200 gives one meetingStarted or meetingEnded),
  plus at most the one event whose request was cut by the kill;
- every recording whose start got a 201 had its recordingStarted and
  recordingUpdated (active) delivered, and every recording seen complete
  its recordingEnded, in that order; recording events for unknown ids are
  at most the starts that were not acknowledged;
- every delivery carries a valid signature.
"""

import collections
import json
import os
import random
import signal
import sys
import threading
import time
import unittest

import harness
from harness import Meetd, kill9, lk_event, lk_send, ready_worker
from test_faults_recordings import SMALL
from test_webhooks import Receiver, discard, signature, webhook_env

MEETING = {"room_started": "meetingStarted", "room_finished": "meetingEnded"}


class OutboxSurvivesCrashesTest(unittest.TestCase):
    def test_kill_workers_then_meetd_under_webhook_load(self):
        recv = Receiver()
        env = webhook_env(recv.url, MEET_WEBHOOK_ATTEMPTS=100,
                          MEET_WEBHOOK_BACKOFF_MS=20,
                          MEET_WEBHOOK_TIMEOUT_MS=30000)
        m = Meetd(workers=3, env=env)
        m2 = None
        try:
            def room(**body):
                st, _, r = m.request("POST", "/api/v1/rooms", body=body)
                self.assertEqual(st, 201, r)
                return r["roomId"]

            rooms = [room(roomName="ob%d" % i) for i in range(15)]
            rec_rooms = [room(roomName="obrec", config={"recording": {
                "enabled": True, "encoding": SMALL}}) for _ in range(2)]
            acked = collections.defaultdict(list)  # roomId: [event]
            pending = {}                            # roomId: event
            for rid in rec_rooms:
                self.assertEqual(lk_send(m, lk_event("room_started", rid))[0], 200)
                acked[rid].append("meetingStarted")
                self.assertEqual(lk_send(m, lk_event("participant_joined", rid,
                                                     participant="p"))[0], 200)
            rec_acked, rec_complete, rec_unacked = set(), set(), [0]
            errors = []
            lock = threading.Lock()
            stop = threading.Event()

            def meetings(n):
                mine = rooms[n::3]
                nxt = {rid: "room_started" for rid in mine}
                i = 0
                while not stop.is_set():
                    rid = mine[i % len(mine)]
                    i += 1
                    body = lk_event(nxt[rid], rid)
                    with lock:
                        pending[rid] = MEETING[nxt[rid]]
                    # Like LiveKit, the same event until it is accepted.
                    while not stop.is_set():
                        try:
                            st, _, b = lk_send(m, body)
                        except OSError:
                            time.sleep(0.02)
                            continue
                        if st == 200:
                            with lock:
                                acked[rid].append(pending.pop(rid))
                            nxt[rid] = ("room_finished" if nxt[rid] == "room_started"
                                        else "room_started")
                            break
                        if st != 503:
                            with lock:
                                errors.append(("webhook", st, b))
                            return
                        time.sleep(0.02)
                    time.sleep(0.005)

            def recordings(rid):
                rng = random.Random(rid)
                while not stop.is_set():
                    try:
                        st, _, rec = m.request("POST", "/api/v1/recordings",
                                               body={"roomId": rid}, timeout=15)
                    except OSError:
                        with lock:
                            rec_unacked[0] += 1
                        time.sleep(0.05)
                        continue
                    if st != 201:
                        with lock:
                            rec_unacked[0] += 1
                            if st not in (409, 503):
                                errors.append(("start", st, rec))
                        time.sleep(0.1)
                        continue
                    rec_id = rec["recordingId"]
                    with lock:
                        rec_acked.add(rec_id)
                    time.sleep(rng.uniform(0.2, 0.6))
                    try:
                        m.request("POST", "/api/v1/recordings/%s/stop" % rec_id,
                                  timeout=15)
                        deadline = time.time() + 3
                        while time.time() < deadline and not stop.is_set():
                            st, _, got = m.request("GET", "/api/v1/recordings/"
                                                   + rec_id, timeout=15)
                            if st == 200 and got["status"] == "complete":
                                with lock:
                                    rec_complete.add(rec_id)
                                break
                            time.sleep(0.1)
                    except OSError:
                        pass

            threads = [threading.Thread(target=meetings, args=(n,))
                       for n in range(3)]
            threads += [threading.Thread(target=recordings, args=(rid,))
                        for rid in rec_rooms]
            for t in threads:
                t.start()
            # 200, then 500, then no answer, with workers killed throughout.
            # Only requests answered 200 count as delivered: those that
            # arrived before the 500s began, or after the restart.
            def set_mode(mode):
                with recv.lock:
                    recv.mode = mode
                    return time.time()

            for round_, mode in enumerate(("ok", "ok", "fail", "fail",
                                           "hang", "hang")):
                t = set_mode(mode)
                if mode == "fail" and round_ == 2:
                    t_fail = t
                time.sleep(0.8)
                os.kill(ready_worker(m, round_ % 3), signal.SIGKILL)
            time.sleep(0.8)
            with recv.lock:
                before_kill = len(recv.requests)
            kill9(m)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            nacked = sum(len(v) for v in acked.values())
            self.assertGreater(nacked, 100, "too little load to test")
            self.assertGreaterEqual(len(rec_acked), 2)

            t_ok = set_mode("ok")
            recv.released.set()  # the hanging requests answer, too late

            def answered(reqs):
                return [r for r in reqs if r["t"] < t_fail or r["t"] >= t_ok]
            m2 = Meetd(workers=3, data_dir=m.data_dir, env=env)

            def distinct(reqs):
                """{roomId: [event]} and {recordingId: [(event, status)]}:
                distinct bodies in order of first arrival."""
                seen, by_room, by_rec = set(), collections.defaultdict(list), \
                    collections.defaultdict(list)
                for r in reqs:
                    if r["body"] in seen:
                        continue
                    seen.add(r["body"])
                    ev = json.loads(r["body"])
                    if ev["event"].startswith("meeting"):
                        by_room[ev["data"]["roomId"]].append(ev["event"])
                    else:
                        by_rec[ev["data"]["recordingId"]].append(
                            (ev["event"], ev["data"]["status"]))
                return by_room, by_rec

            def complete(reqs):
                by_room, by_rec = distinct(answered(reqs))
                for rid, evs in acked.items():
                    if by_room.get(rid, [])[:len(evs)] != evs:
                        return False
                for rec_id in rec_acked:
                    got = [e for e, _ in by_rec.get(rec_id, [])]
                    if "recordingStarted" not in got or "recordingUpdated" not in got:
                        return False
                    if rec_id in rec_complete and "recordingEnded" not in got:
                        return False
                return True

            reqs = recv.wait_for(complete, timeout=30 * harness.TIMEOUT_SCALE)
            time.sleep(1.0)  # anything still to come would be invented
            with recv.lock:
                reqs = list(recv.requests)
            for r in reqs:
                h = r["headers"]
                self.assertEqual(h["x-signature"],
                                 signature(h["x-timestamp"], r["body"]))
            by_room, by_rec = distinct(answered(reqs))
            for rid in rooms + rec_rooms:
                evs = by_room.get(rid, [])
                want = acked.get(rid, [])
                if rid in pending:
                    self.assertIn(evs, (want, want + [pending[rid]]), rid)
                else:
                    self.assertEqual(evs, want, rid)
            self.assertEqual(set(by_room) - set(rooms) - set(rec_rooms), set())
            order = ["recordingStarted", "recordingUpdated", "recordingEnded"]
            for rec_id in rec_acked:
                got = [e for e, _ in by_rec[rec_id]]
                self.assertEqual(by_rec[rec_id][:2],
                                 [("recordingStarted", "starting"),
                                  ("recordingUpdated", "active")], rec_id)
                self.assertEqual(got, sorted(got, key=order.index), rec_id)
                if rec_id in rec_complete:
                    self.assertEqual(by_rec[rec_id][-1],
                                     ("recordingEnded", "complete"), rec_id)
            unknown = set(by_rec) - rec_acked
            self.assertLessEqual(len(unknown), rec_unacked[0])
            for rec_id in unknown:
                self.assertIn(rec_id.split("--")[0], rec_rooms)
            sys.stderr.write(
                "\n%d meeting events acknowledged (%d cut by the kill), %d "
                "recordings started; %d deliveries before the kill, %d after, "
                "%d distinct bodies\n"
                % (nacked, len(pending), len(rec_acked), before_kill,
                   len(reqs) - before_kill, len({r["body"] for r in reqs})))
            self.assertEqual(m2.stop(), 0)
        finally:
            recv.released.set()
            if m2:
                discard(m2)
            discard(m)
            recv.stop()


if __name__ == "__main__":
    harness.main()
