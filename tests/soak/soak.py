#!/usr/bin/env python3
"""Soak test of meetd (issue 8 §5): `make soak`.

Starts meetd (copies of the binaries of --bin-dir, so that a rebuild during
the run cannot swap them) with 2 shard workers, a temporary data directory
and outgoing webhooks to a receiver in this process, then runs SOAK_MINUTES
(default 30) of mixed load from a few threads:

  api threads (SOAK_API_THREADS, default 3), each an endless sequence of
  episodes (SOAK_PACE_MS, default 50, apart) picked at random: room CRUD,
  a meeting through signed LiveKit webhooks, deletes with and without an
  active meeting (fail, force, when_meeting_ends), bulk deletes, paged
  listings, status and config updates on a set of long-lived rooms, and
  odds and ends (/health, /metrics, 404, 401, 422, the webhook
  configuration and test endpoints);

  recorder threads (SOAK_RECORDERS, default 2, each one recording at a
  time, so at most 2 ffmpeg processes): a live room, start (201), a second
  start (409), get, stop or end the meeting, wait for `complete`, list,
  ranged and whole media reads, the URL and the public secret, delete.

Every request names the statuses its scenario expects; anything else (a
5xx, an unexpected 4xx, a failed connection, or a state the scenario did
not expect) is an error. Every SOAK_SAMPLE_SECONDS (60; shorter for short
runs) the load pauses at episode boundaries and the script samples VmRSS
(/proc/<pid>/status) and the open fd count (/proc/<pid>/fd) of the gateway
and of each worker, plus request counts and statuses.

At the end, after the load stops, every outgoing webhook that the scenario
caused (meetingStarted/Ended per room, recordingStarted/Ended per
recording) must have reached the receiver at least once with a valid
signature, and none may name a room this run did not create. The run fails
(exit 1) on any error, on a worker restart, on a meetd that did not exit 0
on SIGTERM, on a sanitizer report in its log, or on a growth trend: the
first third of the samples is warm-up; the mean of the last third is
compared with the mean of the second third, and RSS may grow by at most
max(10 %, 5 MiB), fds by at most 5.

    python3 tests/soak/soak.py --bin-dir build/release/bin [--json FILE]
    SOAK_MINUTES=1 python3 tests/soak/soak.py --bin-dir build/release/bin
"""

import argparse
import collections
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

import harness  # noqa: E402
from harness import API_KEY, Meetd, lk_event, lk_token  # noqa: E402
from test_webhooks import Receiver, signature  # noqa: E402

SMALL = {"video": {"width": 320, "height": 240, "framerate": 15,
                   "codec": "H264_MAIN", "bitrate": 300,
                   "keyFrameInterval": 1, "depth": 24},
         "audio": {"codec": "AAC", "bitrate": 64, "frequency": 44100}}

RSS_TOL_PCT = 10.0
RSS_TOL_KIB = 5 * 1024
FD_TOL = 5

_event_ids = itertools.count(1)


class Stats:
    """Request counts by (method, route, status), and the errors."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.total = 0
        self.errors = []      # (time, kind, detail), the first 200 kept
        self.nerrors = 0

    def count(self, method, route, status):
        with self.lock:
            self.counts[(method, route, status)] += 1
            self.total += 1

    def error(self, kind, detail):
        with self.lock:
            self.nerrors += 1
            if len(self.errors) < 200:
                self.errors.append((round(time.time(), 3), kind, detail))
        sys.stderr.write("soak: %s: %s\n" % (kind, detail))

    def by_status(self):
        with self.lock:
            out = collections.Counter()
            for (_, _, st), n in self.counts.items():
                out[str(st)] += n
            return out


class Pauser:
    """Lets the sampler stop the load at episode boundaries."""

    def __init__(self):
        self.cond = threading.Condition()
        self.paused = False
        self.parked = 0
        self.running = 0

    def enter(self):
        with self.cond:
            self.running += 1

    def leave(self):
        with self.cond:
            self.running -= 1
            self.cond.notify_all()

    def checkpoint(self):
        with self.cond:
            if not self.paused:
                return
            self.parked += 1
            self.cond.notify_all()
            while self.paused:
                self.cond.wait()
            self.parked -= 1

    def pause(self, timeout=60.0):
        """Returns True when every load thread is parked."""
        deadline = time.time() + timeout
        with self.cond:
            self.paused = True
            while self.parked < self.running:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def resume(self):
        with self.cond:
            self.paused = False
            self.cond.notify_all()


class Soak:
    def __init__(self, m, recv, stats, minutes, seed):
        self.m = m
        self.recv = recv
        self.stats = stats
        self.stop = threading.Event()
        # Recorders park first (their episodes take seconds) while the api
        # threads go on; then the api threads, whose episodes are short.
        self.pauser = Pauser()
        self.rec_pauser = Pauser()
        self.seed = seed
        self.minutes = minutes
        self.lock = threading.Lock()
        self.rooms_created = set()
        self.expected = set()       # (event, roomId or recordingId)
        self.recordings_started = 0

    # ---- requests ----------------------------------------------------

    def call(self, method, path, route, expect, body=None, key=True,
             headers=None, raw_body=None, binary=False, api=True):
        """One request on a new connection. Returns (status, headers, body),
        or (None, {}, None) if it failed; an unexpected status is an error."""
        full = ("/api/v1" + path) if api else path
        try:
            st, h, b = self.m.request(method, full, body=body, key=key,
                                      headers=headers, raw_body=raw_body,
                                      binary=binary, timeout=60)
        except Exception as e:  # a dead connection is an error too
            self.stats.count(method, route, "exc")
            self.stats.error("connection", "%s %s: %r" % (method, full, e))
            return None, {}, None
        self.stats.count(method, route, st)
        if st not in expect:
            snippet = b if isinstance(b, (dict, list)) else (b or "")[:200]
            self.stats.error("status", "%s %s: %d (expected %s) %s"
                             % (method, full, st, sorted(expect), snippet))
        return st, h, b

    def lk(self, event, room, participant=None):
        body = lk_event(event, room, participant=participant,
                        event_id="EV_soak_%d" % next(_event_ids))
        st, _, _ = self.call("POST", "/livekit/webhook", "/livekit/webhook",
                             {200}, raw_body=body, key=False, api=False,
                             headers={"Content-Type": "application/webhook+json",
                                      "Authorization": lk_token(body)})
        return st == 200

    def check(self, cond, what):
        if not cond:
            self.stats.error("check", what)
        return cond

    def expect_webhook(self, event, key):
        with self.lock:
            self.expected.add((event, key))

    def create_room(self, rng, body=None):
        if body is None:
            body = {"roomName": "soak %d" % rng.randrange(10 ** 6)}
        st, _, room = self.call("POST", "/rooms", "/rooms", {201}, body=body)
        if st != 201:
            return None
        rid = room["roomId"]
        with self.lock:
            self.rooms_created.add(rid)
        return rid

    def room_status(self, rid):
        st, _, room = self.call("GET", "/rooms/" + rid, "/rooms/:roomId",
                                {200})
        return room.get("status") if st == 200 else None

    # ---- api episodes -------------------------------------------------

    def ep_crud(self, rng, mine):
        body = {"roomName": "crud %d" % rng.randrange(1000)}
        if rng.random() < 0.3:
            body["autoDeletionDate"] = int(time.time() * 1000) + 7200 * 1000
            body["autoDeletionPolicy"] = {"withMeeting": "force",
                                          "withRecordings": "force"}
        if rng.random() < 0.3:
            body["config"] = {"chat": {"enabled": False},
                              "recording": {"enabled": True,
                                            "layout": "speaker"}}
        rid = self.create_room(rng, body)
        if not rid:
            return
        self.call("GET", "/rooms/" + rid, "/rooms/:roomId", {200})
        self.call("GET", "/rooms/%s/config" % rid, "/rooms/:roomId/config",
                  {200})
        self.call("PUT", "/rooms/%s/config" % rid, "/rooms/:roomId/config",
                  {200}, body={"config": {"chat": {
                      "enabled": rng.random() < 0.5}}})
        self.call("PUT", "/rooms/%s/status" % rid, "/rooms/:roomId/status",
                  {200}, body={"status": "closed"})
        self.call("PUT", "/rooms/%s/status" % rid, "/rooms/:roomId/status",
                  {200}, body={"status": "open"})
        self.call("GET", "/rooms/%s?fields=roomId,status" % rid,
                  "/rooms/:roomId", {200})
        self.call("DELETE", "/rooms/" + rid, "/rooms/:roomId", {200})
        self.call("GET", "/rooms/" + rid, "/rooms/:roomId", {404})

    def ep_meeting(self, rng, mine):
        rid = self.create_room(rng)
        if not rid:
            return
        if self.lk("room_started", rid):
            self.expect_webhook("meetingStarted", rid)
        self.lk("participant_joined", rid, participant="alice")
        self.check(self.room_status(rid) == "active_meeting",
                   "room %s not active_meeting after room_started" % rid)
        self.call("PUT", "/rooms/%s/config" % rid, "/rooms/:roomId/config",
                  {409}, body={"config": {"chat": {"enabled": False}}})
        self.call("PUT", "/rooms/%s/status" % rid, "/rooms/:roomId/status",
                  {202}, body={"status": "closed"})
        self.lk("participant_left", rid, participant="alice")
        if self.lk("room_finished", rid):
            self.expect_webhook("meetingEnded", rid)
        self.check(self.room_status(rid) == "closed",
                   "room %s not closed after its meeting" % rid)
        self.call("DELETE", "/rooms/" + rid, "/rooms/:roomId", {200})

    def ep_delete_active(self, rng, mine):
        rid = self.create_room(rng)
        if not rid:
            return
        if self.lk("room_started", rid):
            self.expect_webhook("meetingStarted", rid)
        self.call("DELETE", "/rooms/" + rid, "/rooms/:roomId", {409})
        st, _, _ = self.call("DELETE", "/rooms/%s?withMeeting=force" % rid,
                             "/rooms/:roomId", {200})
        if st == 200:
            self.expect_webhook("meetingEnded", rid)
        self.call("GET", "/rooms/" + rid, "/rooms/:roomId", {404})

    def ep_delete_scheduled(self, rng, mine):
        rid = self.create_room(rng)
        if not rid:
            return
        if self.lk("room_started", rid):
            self.expect_webhook("meetingStarted", rid)
        self.call("DELETE", "/rooms/%s?withMeeting=when_meeting_ends" % rid,
                  "/rooms/:roomId", {202})
        self.call("GET", "/rooms/" + rid, "/rooms/:roomId", {200})
        if self.lk("room_finished", rid):
            self.expect_webhook("meetingEnded", rid)
        self.call("GET", "/rooms/" + rid, "/rooms/:roomId", {404})

    def ep_bulk(self, rng, mine):
        rids = [r for r in (self.create_room(rng) for _ in range(3)) if r]
        if not rids:
            return
        self.call("DELETE", "/rooms?roomIds=" + ",".join(rids), "/rooms",
                  {200})
        for rid in rids:
            self.call("GET", "/rooms/" + rid, "/rooms/:roomId", {404})

    def ep_list(self, rng, mine):
        token = None
        for _ in range(4):
            q = {"maxItems": str(rng.choice((5, 7, 20)))}
            if rng.random() < 0.5:
                q["fields"] = "roomId,roomName,creationDate"
            if token:
                q["nextPageToken"] = token
            st, _, page = self.call("GET", "/rooms?" + urllib.parse.urlencode(q),
                                    "/rooms", {200})
            if st != 200 or not page["pagination"]["isTruncated"]:
                break
            token = page["pagination"]["nextPageToken"]
        self.call("GET", "/rooms?status=active_meeting&maxItems=50", "/rooms",
                  {200})
        self.call("GET", "/rooms?roomName=soak&sortField=roomName&sortOrder=asc",
                  "/rooms", {200})
        st, _, page = self.call("GET", "/recordings?maxItems=3", "/recordings",
                                {200})
        if st == 200 and page["pagination"]["isTruncated"]:
            self.call("GET", "/recordings?maxItems=3&nextPageToken=" +
                      urllib.parse.quote(page["pagination"]["nextPageToken"]),
                      "/recordings", {200})

    def ep_persistent(self, rng, mine):
        rid = rng.choice(mine)
        self.call("GET", "/rooms/" + rid, "/rooms/:roomId", {200})
        self.call("GET", "/rooms/%s/config" % rid, "/rooms/:roomId/config",
                  {200})
        self.call("PUT", "/rooms/%s/config" % rid, "/rooms/:roomId/config",
                  {200}, body={"config": {"recording": {
                      "enabled": True,
                      "layout": rng.choice(("grid", "speaker"))}}})
        self.call("PUT", "/rooms/%s/status" % rid, "/rooms/:roomId/status",
                  {200}, body={"status": rng.choice(("open", "closed"))})

    def ep_misc(self, rng, mine):
        self.call("GET", "/health", "/health", {200}, key=False, api=False)
        if rng.random() < 0.3:
            self.call("GET", "/metrics", "/metrics", {200}, key=False,
                      api=False)
        self.call("GET", "/rooms/no_such_room-%d" % rng.randrange(10 ** 6),
                  "/rooms/:roomId", {404})
        self.call("POST", "/rooms", "/rooms", {422}, body={"roomName": 5})
        self.call("GET", "/rooms", "/rooms", {401}, key=False)
        self.call("GET", "/recordings/%s--EG_abcdefghijkl--0123456789"
                  % rng.choice(mine), "/recordings/:recordingId", {404})
        self.call("GET", "/config/webhooks", "/config/webhooks", {200})
        if rng.random() < 0.1:
            self.call("PUT", "/config/webhooks", "/config/webhooks", {200},
                      body={"enabled": True, "url": self.recv.url})
            self.call("POST", "/config/webhooks/test",
                      "/config/webhooks/test", {200},
                      body={"url": self.recv.url})

    API_EPISODES = (("crud", 4), ("meeting", 3), ("delete_active", 2),
                    ("delete_scheduled", 1), ("bulk", 1), ("list", 3),
                    ("persistent", 4), ("misc", 2))

    def api_thread(self, n):
        rng = random.Random("%s-api-%d" % (self.seed, n))
        pace = float(os.environ.get("SOAK_PACE_MS", "50")) / 1000
        names = [name for name, w in self.API_EPISODES for _ in range(w)]
        self.pauser.enter()
        try:
            mine = [r for r in (self.create_room(rng, {"roomName": "keep %d-%d" % (n, i)})
                                for i in range(20)) if r]
            if not mine:
                return
            while not self.stop.is_set():
                self.pauser.checkpoint()
                name = rng.choice(names)
                try:
                    getattr(self, "ep_" + name)(rng, mine)
                except Exception:
                    self.stats.error("exception", "episode %s: %s"
                                     % (name, traceback.format_exc()))
                time.sleep(pace)
            for rid in mine:
                self.call("DELETE", "/rooms/%s?withMeeting=force" % rid,
                          "/rooms/:roomId", {200})
        finally:
            self.pauser.leave()

    # ---- recordings ---------------------------------------------------

    def wait_rec(self, rec_id, status, timeout=60):
        deadline = time.time() + timeout
        rec = None
        while time.time() < deadline:
            st, _, rec = self.call("GET", "/recordings/" + rec_id,
                                   "/recordings/:recordingId", {200})
            if st == 200 and rec["status"] == status:
                return rec
            time.sleep(0.25)
        self.stats.error("check", "recording %s never became %s (last %s)"
                         % (rec_id, status, rec and rec.get("status")))
        return None

    def ep_recording(self, rng):
        rid = self.create_room(rng, {"roomName": "rec", "config": {
            "recording": {"enabled": True, "encoding": SMALL}}})
        if not rid:
            return
        if self.lk("room_started", rid):
            self.expect_webhook("meetingStarted", rid)
        self.lk("participant_joined", rid, participant="bob")
        st, _, rec = self.call("POST", "/recordings", "/recordings", {201},
                               body={"roomId": rid})
        if st != 201:
            self.call("DELETE", "/rooms/%s?withMeeting=force&withRecordings=force"
                      % rid, "/rooms/:roomId", {200})
            return
        rec_id = rec["recordingId"]
        with self.lock:
            self.recordings_started += 1
        self.expect_webhook("recordingStarted", rec_id)
        self.expect_webhook("recordingEnded", rec_id)
        self.call("POST", "/recordings", "/recordings", {409},
                  body={"roomId": rid})
        self.call("GET", "/recordings/" + rec_id, "/recordings/:recordingId",
                  {200})
        time.sleep(rng.uniform(2.0, 5.0))
        by_stop = rng.random() < 0.7
        if by_stop:
            self.call("POST", "/recordings/%s/stop" % rec_id,
                      "/recordings/:recordingId/stop", {202})
        elif self.lk("room_finished", rid):
            self.expect_webhook("meetingEnded", rid)
        done = self.wait_rec(rec_id, "complete")
        if done:
            size = done.get("size", 0)
            st, _, page = self.call("GET", "/recordings?roomId=" + rid,
                                    "/recordings", {200})
            if st == 200:
                self.check([r["recordingId"] for r in page["recordings"]]
                           == [rec_id], "listing of room %s" % rid)
            path = "/recordings/%s/media" % rec_id
            st, _, part = self.call("GET", path, "/recordings/:recordingId/media",
                                    {206}, headers={"Range": "bytes=0-1023"},
                                    binary=True)
            if st == 206:
                self.check(len(part) == min(1024, size), "range length")
            start = size // 2
            st, h, part = self.call("GET", path, "/recordings/:recordingId/media",
                                    {206}, headers={"Range": "bytes=%d-" % start},
                                    binary=True)
            if st == 206:
                self.check(len(part) == size - start, "open range length")
            if rng.random() < 0.3:
                st, _, whole = self.call("GET", path,
                                         "/recordings/:recordingId/media",
                                         {200}, binary=True)
                if st == 200:
                    self.check(len(whole) == size, "media length")
            st, _, url = self.call("GET", "/recordings/%s/url" % rec_id,
                                   "/recordings/:recordingId/url", {200})
            if st == 200:
                secret = urllib.parse.parse_qs(
                    urllib.parse.urlparse(url["url"]).query)["secret"][0]
                self.call("GET", "/recordings/%s?secret=%s" % (rec_id, secret),
                          "/recordings/:recordingId", {200}, key=False)
        if by_stop:
            if self.lk("room_finished", rid):
                self.expect_webhook("meetingEnded", rid)
        if rng.random() < 0.5:
            self.call("DELETE", "/recordings/" + rec_id,
                      "/recordings/:recordingId", {200})
            self.call("DELETE", "/rooms/" + rid, "/rooms/:roomId", {200})
        else:
            self.call("DELETE", "/rooms/%s?withRecordings=force" % rid,
                      "/rooms/:roomId", {200})
        self.call("GET", "/recordings/" + rec_id, "/recordings/:recordingId",
                  {404})

    def recorder_thread(self, n):
        rng = random.Random("%s-rec-%d" % (self.seed, n))
        self.rec_pauser.enter()
        try:
            while not self.stop.is_set():
                self.rec_pauser.checkpoint()
                try:
                    self.ep_recording(rng)
                except Exception:
                    self.stats.error("exception", "recording episode: %s"
                                     % traceback.format_exc())
                time.sleep(rng.uniform(0.5, 2.0))
        finally:
            self.rec_pauser.leave()


# ---- webhook receiver bookkeeping ----------------------------------------

class Deliveries:
    def __init__(self, recv, stats):
        self.recv = recv
        self.stats = stats
        self.seen = set()
        self.count = collections.Counter()
        self.rooms = set()

    def drain(self):
        """Moves the receiver's requests into the counters (so that the
        receiver does not keep every body of a long run)."""
        with self.recv.lock:
            reqs = self.recv.requests[:]
            del self.recv.requests[:]
        for r in reqs:
            h = r["headers"]
            if h.get("x-signature") != signature(h.get("x-timestamp", ""),
                                                 r["body"], API_KEY):
                self.stats.error("webhook", "bad signature: %r" % r["body"][:200])
                continue
            ev = json.loads(r["body"])
            name = ev["event"]
            self.count[name] += 1
            data = ev.get("data", {})
            if name.startswith("meeting"):
                self.seen.add((name, data.get("roomId")))
                self.rooms.add(data.get("roomId"))
            elif name.startswith("recording"):
                self.seen.add((name, data.get("recordingId")))
                self.rooms.add(data.get("roomId"))


# ---- process sampling ----------------------------------------------------

def proc_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def proc_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            try:
                return float(line.split()[-1])
            except ValueError:
                return None
    return None


def sample(m, t0, stats, last_total):
    st, _, health = m.request("GET", "/health", key=False, timeout=30)
    workers = health.get("workers", []) if isinstance(health, dict) else []
    _, _, metrics = m.request("GET", "/metrics", key=False, timeout=30)
    s = {"t": round(time.time() - t0, 1),
         "requests": stats.total - last_total,
         "total": stats.total,
         "errors": stats.nerrors,
         "health": st,
         "gateway": {"pid": m.proc.pid, "rss_kib": proc_rss_kib(m.proc.pid),
                     "fds": proc_fds(m.proc.pid)},
         "workers": [],
         "egress": metric(metrics, "meetd_egress_processes"),
         "webhook_backlog": metric(metrics, "meetd_webhooks_backlog"),
         "webhooks_delivered": metric(metrics, "meetd_webhooks_delivered_total")}
    for w in workers:
        s["workers"].append({"shard": w["shard"], "pid": w["pid"],
                             "restarts": w["restarts"],
                             "rss_kib": proc_rss_kib(w["pid"]),
                             "fds": proc_fds(w["pid"])})
    return s


def series(samples):
    """{process name: [(rss_kib, fds)]} over the samples."""
    out = collections.OrderedDict()
    out["gateway"] = [(s["gateway"]["rss_kib"], s["gateway"]["fds"])
                      for s in samples]
    nw = max(len(s["workers"]) for s in samples)
    for i in range(nw):
        out["worker%d" % i] = [
            (s["workers"][i]["rss_kib"], s["workers"][i]["fds"])
            if i < len(s["workers"]) else (None, None) for s in samples]
    return out


def trend(samples):
    """Compares the last third of the samples with the second third."""
    n = len(samples)
    third = n // 3
    result = collections.OrderedDict()
    ok = True
    if third < 1:
        return True, {"note": "too few samples for a trend (%d)" % n}
    for name, vals in series(samples).items():
        second = vals[third:2 * third]
        last = vals[2 * third:]
        r = {}
        for idx, key in ((0, "rss_kib"), (1, "fds")):
            a = [v[idx] for v in second if v[idx] is not None]
            b = [v[idx] for v in last if v[idx] is not None]
            if not a or not b:
                r[key] = {"ok": False, "note": "process missing"}
                ok = False
                continue
            ma, mb = sum(a) / len(a), sum(b) / len(b)
            if key == "rss_kib":
                limit = ma + max(ma * RSS_TOL_PCT / 100, RSS_TOL_KIB)
            else:
                limit = ma + FD_TOL
            good = mb <= limit
            ok = ok and good
            r[key] = {"second_third_mean": round(ma, 1),
                      "last_third_mean": round(mb, 1),
                      "limit": round(limit, 1), "min": min(a + b),
                      "max": max(a + b), "ok": good}
        result[name] = r
    return ok, result


def print_table(samples):
    nw = max(len(s["workers"]) for s in samples)
    head = "%7s %9s %7s %12s %6s" % ("t (s)", "requests", "req/s", "gw RSS MiB",
                                     "gw fd")
    for i in range(nw):
        head += " %9s %5s" % ("w%d MiB" % i, "w%d fd" % i)
    head += " %6s %7s %6s" % ("egress", "backlog", "errors")
    print(head)
    prev_t = 0.0
    for s in samples:
        dt = s["t"] - prev_t
        prev_t = s["t"]
        line = "%7.0f %9d %7.1f %12.1f %6s" % (
            s["t"], s["requests"], s["requests"] / dt if dt > 0 else 0,
            (s["gateway"]["rss_kib"] or 0) / 1024.0, s["gateway"]["fds"])
        for i in range(nw):
            w = s["workers"][i] if i < len(s["workers"]) else {}
            line += " %9.1f %5s" % ((w.get("rss_kib") or 0) / 1024.0,
                                    w.get("fds"))
        line += " %6s %7s %6d" % (
            "-" if s["egress"] is None else int(s["egress"]),
            "-" if s["webhook_backlog"] is None else int(s["webhook_backlog"]),
            s["errors"])
        print(line)


def copy_bins(src, dst):
    os.makedirs(dst)
    for name in ("meetd", "meetd-worker"):
        shutil.copy2(os.path.join(src, name), os.path.join(dst, name))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin-dir", required=True)
    p.add_argument("--json", help="also write the JSON summary here")
    args = p.parse_args()

    minutes = float(os.environ.get("SOAK_MINUTES", "30"))
    interval = float(os.environ.get("SOAK_SAMPLE_SECONDS",
                                    60 if minutes >= 10 else
                                    max(5.0, minutes * 60 / 6)))
    api_threads = int(os.environ.get("SOAK_API_THREADS", "3"))
    recorders = int(os.environ.get("SOAK_RECORDERS", "2"))
    seed = os.environ.get("SOAK_SEED", str(int(time.time())))

    tmp = tempfile.mkdtemp(prefix="meetd-soak-")
    copy_bins(os.path.abspath(args.bin_dir), os.path.join(tmp, "bin"))
    harness.BIN_DIR = os.path.join(tmp, "bin")
    recv = Receiver()
    env = {"MEET_INITIAL_WEBHOOK_ENABLED": "true",
           "MEET_INITIAL_WEBHOOK_URL": recv.url,
           "MEET_LOG_LEVEL": os.environ.get("SOAK_LOG_LEVEL", "warn")}
    m = Meetd(workers=2, data_dir=os.path.join(tmp, "data"), env=env)
    stats = Stats()
    soak = Soak(m, recv, stats, minutes, seed)
    deliveries = Deliveries(recv, stats)
    print("soak: meetd pid %d on port %d, %g min, sample every %g s, "
          "%d api threads, %d recorders, seed %s, data %s"
          % (m.proc.pid, m.port, minutes, interval, api_threads, recorders,
             seed, tmp), flush=True)

    t0 = time.time()
    samples = [sample(m, t0, stats, 0)]
    threads = [threading.Thread(target=soak.api_thread, args=(i,), daemon=True)
               for i in range(api_threads)]
    threads += [threading.Thread(target=soak.recorder_thread, args=(i,),
                                 daemon=True) for i in range(recorders)]
    for t in threads:
        t.start()
    end = t0 + minutes * 60
    failures = []
    next_sample = t0 + interval
    while time.time() < end - 1:
        time.sleep(max(0.0, min(next_sample, end) - time.time()))
        if m.proc.poll() is not None:
            failures.append("meetd exited during the run (status %s)"
                            % m.proc.returncode)
            break
        if time.time() < next_sample - 0.5:
            continue
        parked = soak.rec_pauser.pause()
        parked = soak.pauser.pause() and parked
        try:
            deliveries.drain()
            s = sample(m, t0, stats, samples[-1]["total"])
            s["quiesced"] = parked
            samples.append(s)
        finally:
            soak.pauser.resume()
            soak.rec_pauser.resume()
        print("soak: t=%5.0fs requests %d (+%d) gw %.1f MiB/%d fd, workers %s,"
              " errors %d" % (s["t"], s["total"], s["requests"],
                              s["gateway"]["rss_kib"] / 1024, s["gateway"]["fds"],
                              ", ".join("%.1f MiB/%d fd" % (w["rss_kib"] / 1024,
                                                            w["fds"])
                                        for w in s["workers"]
                                        if w["rss_kib"] is not None),
                              stats.nerrors), flush=True)
        next_sample += interval
    soak.stop.set()
    for t in threads:
        t.join(120)
        if t.is_alive():
            failures.append("a load thread did not stop")

    # Every webhook the scenario caused arrives at least once.
    deadline = time.time() + 60
    while time.time() < deadline:
        deliveries.drain()
        if soak.expected <= deliveries.seen:
            break
        time.sleep(0.5)
    missing = sorted(soak.expected - deliveries.seen)
    if missing:
        failures.append("%d webhook(s) never delivered, e.g. %s"
                        % (len(missing), missing[:5]))
    invented = sorted(r for r in deliveries.rooms if r not in soak.rooms_created)
    if invented:
        failures.append("webhooks for rooms this run did not create: %s"
                        % invented[:5])
    final = sample(m, t0, stats, samples[-1]["total"])
    final["quiesced"] = True
    restarts = sum(w["restarts"] for w in final["workers"])
    if restarts:
        failures.append("workers restarted %d time(s)" % restarts)
    if final["health"] != 200:
        failures.append("/health %s at the end" % final["health"])

    rc = m.stop(timeout=30)
    with open(m.log_path, "rb") as f:
        log = f.read().decode(errors="replace").splitlines()
    if rc != 0:
        failures.append("meetd exited with %s on SIGTERM" % rc)
    # The log is at level warn: errors fail the run, warnings are listed.
    log_errors = [l for l in log if " error [" in l or "Sanitizer" in l
                  or "runtime error" in l]
    log_warnings = [l for l in log if " warn [" in l]
    if log_errors:
        failures.append("%d error line(s) in the meetd log, e.g. %s"
                        % (len(log_errors), log_errors[:3]))
    recv.stop()

    ok_trend, trend_detail = trend(samples)
    if not ok_trend:
        failures.append("growth trend: %s" % json.dumps(trend_detail))
    if stats.nerrors:
        failures.append("%d error(s) (unexpected statuses, failed requests"
                        " or checks)" % stats.nerrors)

    print()
    print_table(samples + [final])
    print("(the last row is after the load stopped and the webhooks drained)")
    summary = collections.OrderedDict([
        ("minutes", minutes), ("sample_seconds", interval), ("seed", seed),
        ("requests", stats.total),
        ("requests_per_second", round(stats.total / max(1, final["t"]), 1)),
        ("statuses", dict(sorted(stats.by_status().items()))),
        ("by_route", sorted([m_, r, str(s_), n]
                            for (m_, r, s_), n in stats.counts.items())),
        ("rooms_created", len(soak.rooms_created)),
        ("recordings_started", soak.recordings_started),
        ("webhooks_expected", len(soak.expected)),
        ("webhooks_received", dict(deliveries.count)),
        ("errors", stats.nerrors), ("first_errors", stats.errors[:20]),
        ("log_warnings", len(log_warnings)),
        ("first_log_warnings", log_warnings[:10]),
        ("trend", trend_detail), ("samples", samples), ("final", final),
        ("meetd_exit", rc), ("failures", failures),
        ("result", "FAIL" if failures else "PASS")])
    text = json.dumps(summary, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    if failures:
        print("soak: FAIL\n  " + "\n  ".join(failures))
        print("soak: data kept in %s, log in %s" % (tmp, m.log_path))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    os.unlink(m.log_path)
    print("soak: PASS (%d requests, %d rooms, %d recordings)"
          % (stats.total, len(soak.rooms_created), soak.recordings_started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
