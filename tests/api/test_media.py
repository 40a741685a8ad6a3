"""Integration tests of recording media and ZIP downloads against the real
meetd binary (BEHAVIOUR.md §7.5, §7.6, §7.8).

Recordings are planted directly: meetd is stopped, rows go into the shards'
`recordings` tables with sqlite3 and media files under
<data_dir>/recordings/<roomId>/, and meetd is started again on the same data
directory. The columns are read from the table at run time, so that the test
fills whatever the current schema has."""

import http.client
import io
import os
import shutil
import socket
import sqlite3
import time
import unittest
import zipfile

import harness
from harness import Meetd, parse_responses

MIB = 1024 * 1024
OPEN_RANGE = 5242880


def shard_of(room_id, nshards):
    """The shard meetd places a room in: FNV-1a 64 of its id."""
    h = 0xcbf29ce484222325
    for b in room_id.encode():
        h = ((h ^ b) * 0x100000001b3) % (1 << 64)
    return h % nshards


# id -> (room, status, filename, size of the file or None for no file,
#        public secret, private secret)
RECS = {
    "big": ("roomA", "complete", "roomA--u1.mp4", 6 * MIB + 12345, "", ""),
    "small": ("roomB", "complete", "roomB--u2.mp4", 100000, "pubsecret",
              "privsecret"),
    "active": ("roomA", "active", "roomA--u3.mp4", 1000, "", ""),
    "failed": ("roomB", "failed", "roomB--u5.mp4", 1000, "", ""),
    "nofile": ("roomB", "complete", "roomB--u4.mp4", None, "", ""),
    "empty": ("roomC", "complete", "roomC--u6.mp4", 0, "", ""),
    "huge": ("roomD", "complete", "roomD--u7.mp4", 40 * MIB, "", ""),
}


def rec_id(key):
    room = RECS[key][0]
    return "%s--EG_%s--u%s" % (room, key, key)


class MediaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        first = Meetd(workers=2)
        cls.tmp = first.tmp
        data_dir = first.data_dir
        first.stop()
        cls.data = {}
        rnd = __import__("random").Random(1234)
        dbs = {}
        for key, (room, status, filename, size, pub, priv) in RECS.items():
            shard = shard_of(room, 2)
            if shard not in dbs:
                dbs[shard] = sqlite3.connect(
                    os.path.join(data_dir, "shard-%d.db" % shard))
            db = dbs[shard]
            cols = db.execute("PRAGMA table_info(recordings)").fetchall()
            values = {"recording_id": rec_id(key), "room_id": room,
                      "room_name": room, "egress_id": "EG_" + key,
                      "status": status, "filename": filename,
                      "encoding_json": '"H264_720P_30"', "layout": "grid",
                      "start_date": 1700000000000.0,
                      "public_secret": pub, "private_secret": priv,
                      "updated_at": 1700000000000.0}
            row = {}
            for _, name, ctype, notnull, dflt, _pk in cols:
                if name in values:
                    row[name] = values[name]
                elif notnull and dflt is None:
                    row[name] = "" if "TEXT" in ctype.upper() else 0
            names = list(row)
            db.execute("INSERT INTO recordings(%s) VALUES(%s)"
                       % (",".join(names), ",".join("?" * len(names))),
                       [row[n] for n in names])
            # The room too: meetd removes the media of rooms that are gone.
            room_values = {"room_id": room, "room_name": room,
                           "creation_date": 1700000000000,
                           "with_meeting": "when_meeting_ends",
                           "with_recordings": "close", "config_json": "{}",
                           "moderator_secret": "0123456789",
                           "speaker_secret": "0123456789", "status": "open",
                           "meeting_end_action": "none"}
            rcols = db.execute("PRAGMA table_xinfo(rooms)").fetchall()
            rrow = {}
            for _, name, ctype, notnull, dflt, _pk, hidden in rcols:
                if hidden:
                    continue
                if name in room_values:
                    rrow[name] = room_values[name]
                elif notnull and dflt is None:
                    rrow[name] = "" if "TEXT" in ctype.upper() else 0
            db.execute("INSERT OR IGNORE INTO rooms(%s) VALUES(%s)"
                       % (",".join(rrow), ",".join("?" * len(rrow))),
                       list(rrow.values()))
            if size is not None:
                d = os.path.join(data_dir, "recordings", room)
                os.makedirs(d, exist_ok=True)
                blob = rnd.randbytes(size)
                with open(os.path.join(d, filename), "wb") as f:
                    f.write(blob)
                cls.data[key] = blob
        for db in dbs.values():
            db.commit()
            db.close()
        cls.m = Meetd(workers=2, data_dir=data_dir)

    @classmethod
    def tearDownClass(cls):
        cls.m.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def req(self, method, path, **kw):
        return self.m.request(method, "/api/v1" + path, **kw)

    def media(self, which, rng=None, query="", headers=None, **kw):
        """GET .../media of RECS[which], or of the id `which`."""
        headers = dict(headers or {})
        if rng is not None:
            headers["Range"] = rng
        rid = which if which not in RECS else rec_id(which)
        return self.req("GET", "/recordings/%s/media%s" % (rid, query),
                        headers=headers, **kw)

    def download_raw(self, ids, key=True):
        """GET /recordings/download; returns (status, headers, raw bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.m.port, timeout=30)
        try:
            h = {"X-API-KEY": self.m.api_key} if key else {}
            conn.request("GET", "/api/v1/recordings/download?recordingIds="
                         + ",".join(ids), headers=h)
            resp = conn.getresponse()
            return (resp.status, {k.lower(): v for k, v in resp.getheaders()},
                    resp.read())
        finally:
            conn.close()

    def assert_error(self, resp, status, error, message):
        st, _, body = resp
        self.assertEqual(st, status, body)
        self.assertEqual(body, {"error": error, "message": message})

    def assert_healthy(self):
        st, _, body = self.m.request("GET", "/health", key=False)
        self.assertEqual(st, 200, body)
        self.assertIsNone(self.m.proc.poll())

    # ---- GET /recordings/{id}/media ----------------------------------------

    def test_full_file(self):
        for key in ("big", "small"):
            st, h, body = self.media(key)
            self.assertEqual(st, 200)
            self.assertEqual(h["content-type"], "video/mp4")
            self.assertEqual(h["accept-ranges"], "bytes")
            self.assertEqual(h["cache-control"], "public, max-age=3600")
            self.assertEqual(int(h["content-length"]), len(self.data[key]))
            self.assertNotIn("content-range", h)
            self.assertEqual(self.media_bytes(key), self.data[key])

    def media_bytes(self, key, rng=None, query="", key_hdr=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.m.port, timeout=30)
        try:
            h = {"X-API-KEY": self.m.api_key} if key_hdr else {}
            if rng:
                h["Range"] = rng
            conn.request("GET", "/api/v1/recordings/%s/media%s"
                         % (rec_id(key), query), headers=h)
            resp = conn.getresponse()
            self.last_headers = {k.lower(): v for k, v in resp.getheaders()}
            self.last_status = resp.status
            return resp.read()
        finally:
            conn.close()

    def check_range(self, key, rng, first, last):
        data = self.data[key]
        body = self.media_bytes(key, rng)
        h = self.last_headers
        self.assertEqual(self.last_status, 206, rng)
        self.assertEqual(h["content-range"],
                         "bytes %d-%d/%d" % (first, last, len(data)))
        self.assertEqual(int(h["content-length"]), last - first + 1)
        self.assertEqual(h["accept-ranges"], "bytes")
        self.assertEqual(h["content-type"], "video/mp4")
        self.assertEqual(h["cache-control"], "public, max-age=3600")
        self.assertEqual(body, data[first:last + 1])

    def test_ranges(self):
        size = len(self.data["big"])
        self.check_range("big", "bytes=0-99", 0, 99)
        self.check_range("big", "bytes=1000-2999", 1000, 2999)
        self.check_range("big", "bytes=0-0", 0, 0)
        # Open-ended: at most 5 MiB.
        self.check_range("big", "bytes=100-", 100, 100 + OPEN_RANGE - 1)
        self.check_range("big", "bytes=0-", 0, OPEN_RANGE - 1)
        # Open-ended near the end, and an end past it: clamped.
        self.check_range("big", "bytes=%d-" % (size - 10), size - 10, size - 1)
        self.check_range("big", "bytes=5-99999999999", 5, size - 1)
        self.check_range("small", "bytes=99990-", 99990, 99999)

    def test_range_not_satisfiable(self):
        for key in ("big", "small"):
            size = len(self.data[key])
            for rng in ("bytes=%d-" % size, "bytes=%d-%d" % (size, size + 5),
                        "bytes=99999999999-"):
                st, h, body = self.media(key, rng)
                self.assertEqual(st, 416, rng)
                self.assertNotIn("content-range", h)
                self.assertEqual(body, {
                    "error": "Recording Error",
                    "message": "Recording '%s' range not satisfiable. "
                               "File size: %d" % (rec_id(key), size)})

    def test_range_start_after_end_serves_all(self):
        body = self.media_bytes("small", "bytes=500-100")
        self.assertEqual(self.last_status, 200)
        self.assertNotIn("content-range", self.last_headers)
        self.assertEqual(int(self.last_headers["content-length"]), 100000)
        self.assertEqual(body, self.data["small"])

    def test_bad_range(self):
        detail = {"field": "headers.range",
                  "message": "Invalid range header format. "
                             "Expected: bytes=start-end"}
        for rng in ("bytes=100", "bytes=-500", "bytes=0-1,5-6", "items=0-1",
                    "bytes=a-b", ""):
            st, _, body = self.media("small", rng)
            self.assertEqual(st, 422, rng)
            self.assertEqual(body["error"], "Unprocessable Entity")
            self.assertEqual(body["details"], [detail])
        # 422 comes before authentication.
        st, _, body = self.media("small", "bytes=100", key=False)
        self.assertEqual(st, 422)
        # Both issues together, the path's first.
        st, _, body = self.media("bad", "bytes=100")
        self.assertEqual(st, 422)
        self.assertEqual(body["details"], [
            {"field": "params.recordingId",
             "message": "recordingId does not follow the expected format"},
            detail])

    def test_bad_id(self):
        for rid in ("bad", "a--b--c", "a--EG_--c", "--EG_x--y"):
            st, _, body = self.media(rid, key=False)
            self.assertEqual(st, 422, rid)
            self.assertEqual(body["details"][0]["field"], "params.recordingId")

    def test_not_found(self):
        rid = "roomZ--EG_zz--u9"
        self.assert_error(self.media(rid), 404, "Recording Error",
                          "Recording '%s' not found" % rid)

    def test_not_complete(self):
        for key in ("active", "failed"):
            self.assert_error(self.media(key), 409, "Recording Error",
                              "Recording '%s' is not stopped yet" % rec_id(key))

    def test_missing_file(self):
        self.assert_error(self.media("nofile"), 500, "Internal Server Error",
                          "Unexpected error while streaming recording '%s'"
                          % rec_id("nofile"))

    def test_empty_file(self):
        body = self.media_bytes("empty")
        self.assertEqual(self.last_status, 200)
        self.assertEqual(self.last_headers["content-length"], "0")
        self.assertEqual(body, b"")
        st, _, body = self.media("empty", "bytes=0-")
        self.assertEqual(st, 416)
        self.assertTrue(body["message"].endswith("File size: 0"))

    def test_auth(self):
        self.assert_error(self.media("small", key=False), 401,
                          "Authentication Error", "Unauthorized")
        self.assert_error(self.media("small", key=False,
                                     headers={"X-API-KEY": "nope"}),
                          401, "Authentication Error", "Invalid API key")
        # Without credentials an unknown id is a 401 too (auth first).
        self.assert_error(self.media("roomZ--EG_zz--u9", key=False), 401,
                          "Authentication Error", "Unauthorized")

    def test_secrets(self):
        # The public secret grants anonymous access; credentials sent along
        # are ignored, even a wrong key.
        body = self.media_bytes("small", query="?secret=pubsecret",
                                key_hdr=False)
        self.assertEqual(self.last_status, 200)
        self.assertEqual(body, self.data["small"])
        st, _, _ = self.media("small", query="?secret=pubsecret", key=False,
                              headers={"X-API-KEY": "wrong"})
        self.assertEqual(st, 200)
        body = self.media_bytes("small", "bytes=10-19",
                                query="?secret=pubsecret", key_hdr=False)
        self.assertEqual(self.last_status, 206)
        self.assertEqual(body, self.data["small"][10:20])
        # The private secret needs a user's access token: a key is not one.
        self.assert_error(self.media("small", query="?secret=privsecret"),
                          401, "Authentication Error", "Unauthorized")
        # Anything else is a 400 naming the secret.
        self.assert_error(self.media("small", query="?secret=wrong"), 400,
                          "Recording Error",
                          "Secret 'wrong' is not recognized for recording "
                          "'%s'" % rec_id("small"))
        # A recording without secrets matches none.
        self.assertEqual(self.media("big", query="?secret=pubsecret")[0], 400)
        # With a secret the lookup comes first: 404 before any auth.
        rid = "roomZ--EG_zz--u9"
        self.assert_error(self.media(rid, query="?secret=x", key=False), 404,
                          "Recording Error", "Recording '%s' not found" % rid)
        # An empty secret is no secret.
        self.assertEqual(self.media("small", query="?secret=")[0], 200)
        self.assertEqual(self.media("small", query="?secret=", key=False)[0],
                         401)
        # A repeated secret is not a string.
        st, _, body = self.media("small", query="?secret=a&secret=b")
        self.assertEqual(st, 422)
        self.assertEqual(body["details"][0]["field"], "query.secret")

    def test_pipelined_after_media(self):
        # A streamed answer keeps its place among pipelined ones.
        rid = rec_id("small")
        req = ("GET /api/v1/recordings/%s/media HTTP/1.1\r\nHost: x\r\n"
               "X-API-KEY: %s\r\nRange: bytes=0-99\r\n\r\n" % (rid, self.m.api_key)
               + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
               + "GET /api/v1/recordings/%s/media HTTP/1.1\r\nHost: x\r\n"
               "X-API-KEY: %s\r\n\r\n" % (rid, self.m.api_key)
               + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        got = self.m.raw(req.encode(), timeout=10, expect=4)
        self.assertEqual([g[0] for g in got], [206, 200, 200, 200])
        self.assertEqual(got[0][2], self.data["small"][:100])
        self.assertEqual(got[2][2], self.data["small"])

    def test_media_client_disconnects(self):
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.m.port), timeout=5)
            s.sendall(("GET /api/v1/recordings/%s/media HTTP/1.1\r\nHost: x\r\n"
                       "X-API-KEY: %s\r\n\r\n" % (rec_id("huge"),
                                                  self.m.api_key)).encode())
            self.assertTrue(s.recv(65536).startswith(b"HTTP/1.1 200 "))
            time.sleep(0.2)  # the server fills the socket and waits
            s.close()
        self.assert_healthy()
        self.assertEqual(self.media_bytes("huge", "bytes=100-199"),
                         self.data["huge"][100:200])

    # ---- GET /recordings/download -------------------------------------------

    def test_download(self):
        ids = [rec_id("big"), "roomZ--EG_zz--u9", rec_id("active"),
               rec_id("small"), rec_id("nofile"), rec_id("failed"),
               rec_id("big"), rec_id("empty")]
        st, h, raw = self.download_raw(ids)
        self.assertEqual(st, 200, raw[:200])
        self.assertEqual(h["content-type"], "application/zip")
        self.assertEqual(h["content-disposition"],
                         'attachment; filename="recordings.zip"')
        self.assertEqual(h.get("transfer-encoding"), "chunked")
        self.assertNotIn("content-length", h)
        z = zipfile.ZipFile(io.BytesIO(raw))
        self.assertIsNone(z.testzip())
        infos = z.infolist()
        # Request order; unknown, unfinished and unreadable ones skipped;
        # the duplicate twice.
        self.assertEqual([i.filename for i in infos],
                         ["roomA--u1.mp4", "roomB--u2.mp4", "roomA--u1.mp4",
                          "roomC--u6.mp4"])
        for i in infos:
            self.assertEqual(i.compress_type, zipfile.ZIP_STORED)
        self.assertEqual(z.read(infos[0]), self.data["big"])
        self.assertEqual(z.read(infos[1]), self.data["small"])
        self.assertEqual(z.read(infos[2]), self.data["big"])
        self.assertEqual(z.read(infos[3]), b"")

    def test_download_empty_archive(self):
        st, h, raw = self.download_raw(["roomZ--EG_zz--u9", rec_id("active")])
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/zip")
        z = zipfile.ZipFile(io.BytesIO(raw))
        self.assertEqual(z.namelist(), [])

    def test_download_errors(self):
        # Auth first, then 422.
        self.assert_error(self.req("GET", "/recordings/download?recordingIds=x",
                                   key=False),
                          401, "Authentication Error", "Unauthorized")
        self.assert_error(self.req("GET", "/recordings/download", key=False,
                                   headers={"X-API-KEY": "nope"}),
                          401, "Authentication Error", "Invalid API key")
        st, _, body = self.req("GET", "/recordings/download")
        self.assertEqual(st, 422)
        self.assertEqual(body["details"], [
            {"field": "recordingIds",
             "message": "recordingIds must contain at least one item"}])
        st, _, body = self.req("GET", "/recordings/download?recordingIds="
                               + rec_id("big") + ",bad")
        self.assertEqual(st, 422)
        self.assertEqual(body["details"], [
            {"field": "recordingIds.1",
             "message": "recordingId does not follow the expected format"}])
        # (More than 1000 ids cannot pass the 8 KiB URL limit: the shortest
        # valid id has 10 characters.)

    def test_download_client_disconnects(self):
        ids = ",".join([rec_id("huge")] * 10)
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.m.port), timeout=5)
            s.sendall(("GET /api/v1/recordings/download?recordingIds=%s "
                       "HTTP/1.1\r\nHost: x\r\nX-API-KEY: %s\r\n\r\n"
                       % (ids, self.m.api_key)).encode())
            got = b""
            while len(got) < 2 * MIB:
                chunk = s.recv(65536)
                self.assertTrue(chunk)
                got += chunk
            self.assertTrue(got.startswith(b"HTTP/1.1 200 "))
            s.close()
        self.assert_healthy()
        st, _, raw = self.download_raw([rec_id("small")])
        self.assertEqual(st, 200)
        z = zipfile.ZipFile(io.BytesIO(raw))
        self.assertEqual(z.read("roomB--u2.mp4"), self.data["small"])

    def test_download_big_stays_streamed(self):
        # 10 x 40 MiB through one connection: the body is consumed as it
        # comes (a check of the stream, not of memory, which the unit tests
        # bound).
        ids = ",".join([rec_id("huge")] * 10)
        conn = http.client.HTTPConnection("127.0.0.1", self.m.port, timeout=60)
        try:
            conn.request("GET", "/api/v1/recordings/download?recordingIds="
                         + ids, headers={"X-API-KEY": self.m.api_key})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            total = 0
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
        finally:
            conn.close()
        self.assertGreater(total, 10 * 40 * MIB)
        self.assert_healthy()


if __name__ == "__main__":
    harness.main()
