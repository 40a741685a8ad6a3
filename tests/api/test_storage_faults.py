"""Storage faults: a full disk, and a shard database that is corrupt or
locked when meetd starts (docs/RELIABILITY.md, "Storage faults").

A full disk is simulated with RLIMIT_FSIZE, set for meetd (and inherited by
its workers) in preexec_fn: a write past the limit fails with EFBIG, as on a
full file system, because the workers ignore SIGXFSZ. The limit cannot be
raised for a running process, so "space returns" means restarting meetd
without it on the same data directory."""

import os
import resource
import shutil
import sqlite3
import tempfile
import time
import unittest
import urllib.parse

import harness
from harness import Meetd

# Large enough for the start-up writes and meetd's own log (about 200 bytes
# a request), small enough that each shard's WAL (about 25 KiB a room)
# reaches it after a few dozen rooms.
FSIZE_LIMIT = 1 << 20

STORAGE_ERROR = {"error": "Storage Error",
                 "message": "Storage is unavailable, retry later"}


def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, FSIZE_LIMIT))


def list_rooms(m):
    """Returns {roomId: roomName} of every room, following the pages."""
    rooms, token = {}, None
    while True:
        q = {"maxItems": "100"}
        if token:
            q["nextPageToken"] = token
        st, _, page = m.request("GET", "/api/v1/rooms?" +
                                urllib.parse.urlencode(q))
        assert st == 200, (st, page)
        for r in page["rooms"]:
            rooms[r["roomId"]] = r["roomName"]
        token = page["pagination"].get("nextPageToken")
        if not page["pagination"].get("isTruncated") or not token:
            return rooms


def integrity_check(data_dir):
    """Runs PRAGMA integrity_check on a copy of every database of a stopped
    meetd (the copy keeps the original untouched by Python's SQLite);
    returns {file: result}."""
    out = {}
    tmp = tempfile.mkdtemp(prefix="meetd-icheck-")
    try:
        for name in sorted(os.listdir(data_dir)):
            if not name.endswith(".db"):
                continue
            for suffix in ("", "-wal"):
                src = os.path.join(data_dir, name + suffix)
                if os.path.exists(src):
                    shutil.copyfile(src, os.path.join(tmp, name + suffix))
            conn = sqlite3.connect(os.path.join(tmp, name))
            try:
                out[name] = conn.execute("PRAGMA integrity_check").fetchall()
            finally:
                conn.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def corrupt(path):
    """Overwrites the header of an SQLite file and of its WAL: SQLite reads
    page 1 from the WAL when it holds a newer copy, so both must go."""
    for name in (path, path + "-wal"):
        if os.path.exists(name) and os.path.getsize(name) > 0:
            with open(name, "r+b") as f:
                f.write(b"this is not an SQLite database!!" * 4)


def wait_exit(m, timeout):
    """Waits for meetd to exit on its own; returns (code, seconds)."""
    t0 = time.time()
    try:
        code = m.proc.wait(timeout)
    except Exception:  # subprocess.TimeoutExpired
        code = None
    return code, time.time() - t0


class FullDiskTest(unittest.TestCase):
    def test_writes_fail_reads_work_nothing_lost(self):
        m = Meetd(workers=2, preexec_fn=limit_file_size)
        m2 = None
        try:
            pids = m.worker_pids()
            acked, refused = {}, []
            streak = 0
            t0 = time.time()
            for i in range(2000):
                name = "full-%d" % i
                st, _, body = m.request("POST", "/api/v1/rooms",
                                        body={"roomName": name})
                if st == 201:
                    acked[body["roomId"]] = name
                    streak = 0
                else:
                    self.assertEqual(st, 503, body)
                    self.assertEqual(body, STORAGE_ERROR)
                    refused.append(name)
                    streak += 1
                    if streak >= 20:  # both shards are full
                        break
            fill_s = time.time() - t0
            self.assertGreaterEqual(streak, 20, "the disk never filled up")
            self.assertGreater(len(acked), 10)

            # Reads keep working while the disk is full.
            for rid in list(acked)[:10]:
                st, _, body = m.request("GET", "/api/v1/rooms/" + rid)
                self.assertEqual(st, 200, body)
                self.assertEqual(body["roomName"], acked[rid])
            self.assertEqual(list_rooms(m), acked)
            st, _, health = m.request("GET", "/health", key=False)
            self.assertEqual(st, 200, health)
            self.assertEqual(health["status"], "ok")
            self.assertEqual([(w["state"], w["restarts"])
                              for w in health["workers"]],
                             [("ready", 0), ("ready", 0)])
            # No worker died: same processes, no crash loop.
            self.assertEqual(m.worker_pids(), pids)
            # Still refused, still consistent, a little later.
            st, _, body = m.request("POST", "/api/v1/rooms",
                                    body={"roomName": "full-late"})
            self.assertEqual((st, body), (503, STORAGE_ERROR))
            refused.append("full-late")
            log = m.read_log()
            self.assertIn("disk I/O error", log)
            self.assertNotIn("killed by signal", log)
            self.assertNotIn("exited with status", log)
            code = m.stop()
            self.assertEqual(code, 0)

            checks = integrity_check(m.data_dir)
            self.assertEqual(sorted(checks),
                             ["shard-0.db", "shard-1.db", "system.db"])
            for name, res in checks.items():
                self.assertEqual(res, [("ok",)], name)

            # Space returns: every acknowledged room is there, no refused
            # one is, and writes work again.
            m2 = Meetd(workers=2, data_dir=m.data_dir)
            rooms = list_rooms(m2)
            self.assertEqual(rooms, acked)
            self.assertFalse(set(refused) & set(rooms.values()))
            for i in range(20):
                st, _, body = m2.request("POST", "/api/v1/rooms",
                                         body={"roomName": "after-%d" % i})
                self.assertEqual(st, 201, body)
            self.assertEqual(len(list_rooms(m2)), len(acked) + 20)
            print("\nfull disk: %d rooms acknowledged, %d refused with 503 "
                  "in %.2f s" % (len(acked), len(refused), fill_s))
        finally:
            if m2:
                m2.cleanup()
            m.cleanup()


class StartFailureTest(unittest.TestCase):
    def test_corrupt_shard_fails_fast_without_loop(self):
        m = Meetd(workers=2)
        try:
            st, _, _ = m.request("POST", "/api/v1/rooms",
                                 body={"roomName": "before"})
            self.assertEqual(st, 201)
            self.assertEqual(m.stop(), 0)
        finally:
            data_dir = m.data_dir
        path = os.path.join(data_dir, "shard-1.db")
        corrupt(path)
        m2 = Meetd(workers=2, data_dir=data_dir, wait=False)
        try:
            code, secs = wait_exit(m2, 10)
            log = m2.read_log()
            self.assertEqual(code, 1, log)
            # Three tries, 200 + 400 ms apart, not the 15 s READY timeout.
            self.assertLess(secs, 5.0, log)
            self.assertEqual(
                log.count("shard 1: cannot open database: %s: " % path), 3,
                log)
            self.assertIn("file is not a database", log)
            self.assertIn("shard 1: worker failed to start 3 times in a row "
                          "(exit status 3: its database cannot be opened, "
                          "see above); giving up", log)
            self.assertIn("shard workers failed to start", log)
            self.assertNotIn("listening", m2.read_stdout_rest(0.2))
            print("\ncorrupt shard-1.db: meetd exited 1 after %.2f s" % secs)
        finally:
            m2.stop()
            shutil.rmtree(m.tmp, ignore_errors=True)

    def test_shard_corrupted_at_run_time_is_given_up(self):
        """A running shard whose worker dies and cannot reopen its file is
        retried 3 times, then reported down; the other shard serves on."""
        m = Meetd(workers=2)
        try:
            path = os.path.join(m.data_dir, "shard-1.db")
            corrupt(path)
            pids = m.worker_pids()
            os.kill(pids[1], 9)
            deadline = time.time() + 5
            while time.time() < deadline:
                if "giving up" in m.read_log():
                    break
                time.sleep(0.05)
            log = m.read_log()
            self.assertIn("shard 1: worker failed to start 3 times in a row",
                          log)
            time.sleep(0.5)  # no further respawn after giving up
            log = m.read_log()
            self.assertEqual(
                log.count("shard 1: cannot open database: %s: " % path), 3,
                log)
            st, _, health = m.request("GET", "/health", key=False)
            self.assertEqual(st, 503, health)
            self.assertEqual(health["status"], "unavailable")
            w0, w1 = health["workers"]
            self.assertEqual((w0["state"], w0["restarts"]), ("ready", 0))
            self.assertEqual((w1["state"], w1["restarts"], w1["pid"]),
                             ("down", 3, 0))
            # Shard 0 still serves: some creates succeed, the others get
            # 503 from the down shard, nothing else.
            seen = set()
            for i in range(20):
                st, _, body = m.request("POST", "/api/v1/rooms",
                                        body={"roomName": "half-%d" % i})
                self.assertIn(st, (201, 503), body)
                seen.add(st)
            self.assertEqual(seen, {201, 503})
        finally:
            m.cleanup()

    def test_second_meetd_on_same_data_dir_exits(self):
        m = Meetd(workers=2)
        m2 = None
        try:
            st, _, room = m.request("POST", "/api/v1/rooms",
                                    body={"roomName": "first"})
            self.assertEqual(st, 201)
            pids = m.worker_pids()
            m2 = Meetd(workers=2, data_dir=m.data_dir, wait=False)
            code, secs = wait_exit(m2, 10)
            log2 = m2.read_log()
            self.assertEqual(code, 1, log2)
            self.assertLess(secs, 5.0, log2)
            self.assertIn("database is locked", log2)
            self.assertIn("is a second meetd running on the same data "
                          "directory?", log2)
            self.assertIn("giving up", log2)
            print("\nsecond meetd: exited 1 after %.2f s" % secs)
            self.assertNotIn("listening", m2.read_stdout_rest(0.2))
            # The first one keeps serving, with the same workers.
            st, _, body = m.request("GET", "/api/v1/rooms/" + room["roomId"])
            self.assertEqual(st, 200, body)
            st, _, body = m.request("POST", "/api/v1/rooms",
                                    body={"roomName": "still"})
            self.assertEqual(st, 201, body)
            self.assertEqual(m.worker_pids(), pids)
            st, _, health = m.request("GET", "/health", key=False)
            self.assertEqual((st, health["status"]), (200, "ok"))
            self.assertEqual([w["restarts"] for w in health["workers"]],
                             [0, 0])
        finally:
            if m2:
                m2.stop()
                if m2.tmp:
                    shutil.rmtree(m2.tmp, ignore_errors=True)
            m.cleanup()


if __name__ == "__main__":
    harness.main()
