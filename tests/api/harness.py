"""Test harness for meetd integration tests (Python standard library only).

Starts the real meetd binary on a free loopback port with a temporary data
directory, and offers small HTTP helpers: `request` (one request on a new
connection, via http.client) and `raw` (bytes over a socket, for pipelining
and malformed input). Run a test file as:

    python3 tests/api/test_x.py --bin-dir build/dev/bin

Environment variables for special runs (`make valgrind`; all optional):

    MEETD_WRAPPER        a command line that runs meetd, e.g. "valgrind
                         --trace-children=yes ...": meetd is started as
                         WRAPPER + [meetd, args...]. With a wrapper the
                         workers run without their seccomp filter
                         (MEET_SANDBOX=none; valgrind needs syscalls it
                         forbids), unless a test sets MEET_SANDBOX itself.
    MEETD_TIMEOUT_SCALE  multiplies the harness's own timeouts (start-up,
                         requests, stop); 10 with a wrapper, else 1.
    MEETD_SKIP_TESTS     comma-separated test names ("test_x" or
                         "Class.test_x") reported as skipped.
"""

import argparse
import http.client
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BIN_DIR = None
API_KEY = "test-api-key-0123456789"
WRAPPER = shlex.split(os.environ.get("MEETD_WRAPPER", ""))
TIMEOUT_SCALE = float(os.environ.get("MEETD_TIMEOUT_SCALE",
                                     "10" if WRAPPER else "1"))
SKIP_TESTS = {t.strip() for t in os.environ.get("MEETD_SKIP_TESTS", "").split(",")
              if t.strip()}


class Meetd:
    """One meetd process. Use as a context manager or call stop()."""

    def __init__(self, workers=2, env=None, args=None, data_dir=None,
                 api_key=API_KEY, wait=True, preexec_fn=None):
        """`preexec_fn` runs in the child before meetd is executed (to set
        resource limits, say), as in subprocess.Popen."""
        self.tmp = None
        if data_dir is None:
            self.tmp = tempfile.mkdtemp(prefix="meetd-test-")
            data_dir = os.path.join(self.tmp, "data")
        self.data_dir = data_dir
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("MEET_", "SERVER_", "LIVEKIT_"))}
        e.update({
            "SERVER_PORT": "0",
            "SERVER_HOST": "127.0.0.1",
            "MEET_DATA_DIR": data_dir,
            "MEET_WORKERS": str(workers),
            "MEET_LOG_LEVEL": "info",
        })
        if api_key is not None:
            e["MEET_INITIAL_API_KEY"] = api_key
        if WRAPPER:
            e["MEET_SANDBOX"] = "none"
        if env:
            e.update(env)
        self.api_key = api_key
        self.log_path = os.path.join(self.tmp or tempfile.gettempdir(),
                                     "meetd-%d.log" % os.getpid())
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            WRAPPER + [os.path.join(BIN_DIR, "meetd")] + (args or []),
            env=e, stdout=subprocess.PIPE, stderr=self.log,
            stdin=subprocess.DEVNULL, preexec_fn=preexec_fn)
        self.stdout_lines = []
        self.port = None
        if wait:
            self.wait_listening()

    def wait_listening(self, timeout=20.0):
        deadline = time.time() + timeout * TIMEOUT_SCALE
        fd = self.proc.stdout.fileno()
        buf = b""
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode()
                    self.stdout_lines.append(line)
                    m = re.search(r"listening on http://[^:]+:(\d+)", line)
                    if m:
                        self.port = int(m.group(1))
                        return
            elif self.proc.poll() is not None:
                break
        raise AssertionError("meetd did not start; log:\n" + self.read_log())

    def read_log(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def read_stdout_rest(self, timeout=2.0):
        """Reads what meetd printed on stdout after start-up (non-blocking)."""
        fd = self.proc.stdout.fileno()
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.05)
            if not r:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            out += chunk
        return out.decode()

    def request(self, method, path, body=None, headers=None, key=True,
                timeout=10.0, raw_body=None, binary=False):
        """Sends one request; returns (status, headers dict lower-cased,
        parsed JSON, or the text, or with `binary` the raw bytes)."""
        h = {}
        if key and self.api_key:
            h["X-API-KEY"] = self.api_key
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout * TIMEOUT_SCALE)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            ctype = hdrs.get("content-type", "")
            parsed = raw if binary else raw.decode(errors="replace")
            if "json" in ctype and raw:
                parsed = json.loads(raw)
            return resp.status, hdrs, parsed
        finally:
            conn.close()

    def raw(self, data, timeout=5.0, read_until_close=True, expect=None):
        """Sends raw bytes on a new connection and returns what comes back
        (until the server closes, `expect` responses arrived, or timeout)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            if data:
                s.sendall(data)
            return recv_responses(s, timeout, expect)
        finally:
            s.close()

    def worker_pids(self):
        """Returns {shard: pid} from GET /health."""
        _, _, body = self.request("GET", "/health", key=False)
        return {w["shard"]: w["pid"] for w in body["workers"]}

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15.0):
        """SIGTERM, wait; returns the exit code. If meetd had died on its
        own, or a sanitizer reported anything, its log goes to stderr."""
        died = self.proc.poll() is not None
        if not died:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout * TIMEOUT_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        log = self.read_log() if not self.log.closed else ""
        self.log.close()
        if died or "Sanitizer" in log or "runtime error" in log:
            sys.stderr.write("---- meetd log (exit %s) ----\n%s\n"
                             % (self.proc.returncode, log[-20000:]))
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def child_pids(pid):
    """Returns the pids of the processes whose parent is `pid` (from
    /proc), e.g. meetd's workers and its egress (ffmpeg) processes."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields
        # after it start at the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(d))
    return out


def pid_alive(pid):
    """True if `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


def kill9(m, timeout=10.0):
    """Kills meetd with SIGKILL, without warning, and waits until its
    children have gone too: its workers exit when their channel closes,
    egress processes get SIGINT from the kernel (setpriv --pdeathsig).
    Children still alive after `timeout` are killed by pid. Returns the
    pids that had to be killed."""
    children = child_pids(m.proc.pid)
    m.proc.kill()
    m.proc.wait()
    deadline = time.time() + timeout * TIMEOUT_SCALE
    while time.time() < deadline and any(pid_alive(p) for p in children):
        time.sleep(0.05)
    killed = [p for p in children if pid_alive(p)]
    for p in killed:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return killed


def ready_worker(m, shard, timeout=5.0):
    """Returns the pid of the shard's worker once /health says it is ready.
    A worker killed a moment ago may still be restarting, and /health then
    shows pid 0, which os.kill would take for the whole process group."""
    deadline = time.time() + timeout * TIMEOUT_SCALE
    while True:
        _, _, body = m.request("GET", "/health", key=False)
        w = [w for w in body["workers"] if w["shard"] == shard][0]
        if w["state"] == "ready" and w["pid"] > 0:
            return w["pid"]
        if time.time() > deadline:
            raise AssertionError("shard %d never came back: %s" % (shard, w))
        time.sleep(0.05)


def list_all(m, path, key, query=None):
    """Follows nextPageToken through GET `path` (e.g. "/api/v1/rooms",
    "rooms"), 100 items a page; returns every item."""
    import urllib.parse
    items, token = [], None
    while True:
        q = dict(query or {})
        q["maxItems"] = "100"
        if token:
            q["nextPageToken"] = token
        st, _, page = m.request("GET", path + "?" + urllib.parse.urlencode(q))
        if st != 200:
            raise AssertionError("GET %s: %s %s" % (path, st, page))
        items.extend(page[key])
        if not page["pagination"]["isTruncated"]:
            return items
        token = page["pagination"]["nextPageToken"]


def parse_responses(buf):
    """Splits a byte stream into [(status, headers, body bytes)] and the
    unparsed rest."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        head = buf[:end].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ")[1])
        headers = {}
        for line in head[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if status == 100:
            out.append((status, headers, b""))
            buf = buf[end + 4:]
            continue
        n = int(headers.get("content-length", "0"))
        if len(buf) < end + 4 + n:
            return out, buf
        out.append((status, headers, buf[end + 4:end + 4 + n]))
        buf = buf[end + 4 + n:]


def recv_responses(s, timeout, expect=None):
    buf = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        buf += chunk
        if expect is not None:
            got, _ = parse_responses(buf)
            if len(got) >= expect:
                break
    got, _ = parse_responses(buf)
    return got


class _Loader(unittest.TestLoader):
    """Marks the tests named in MEETD_SKIP_TESTS as skipped."""

    def getTestCaseNames(self, cls):
        names = super().getTestCaseNames(cls)
        for n in names:
            if n in SKIP_TESTS or "%s.%s" % (cls.__name__, n) in SKIP_TESTS:
                setattr(cls, n, unittest.skip("in MEETD_SKIP_TESTS")(
                    getattr(cls, n)))
        return names


def main():
    global BIN_DIR
    p = argparse.ArgumentParser()
    p.add_argument("--bin-dir", required=True)
    args, rest = p.parse_known_args()
    BIN_DIR = os.path.abspath(args.bin_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2,
                  testLoader=_Loader() if SKIP_TESTS else
                  unittest.defaultTestLoader)


# ---- LiveKit webhooks, signed the way LiveKit signs them (LIVEKIT.md §1.2),
# ---- computed here independently of meetd's own code.

LK_KEY = "devkey"
LK_SECRET = "secret"


def _b64url(data):
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def lk_token(body, key=LK_KEY, secret=LK_SECRET, now=None, nbf=None, exp=None,
             sha=None, alg="HS256"):
    """Returns the Authorization value LiveKit would send for `body`."""
    import base64
    import hashlib
    import hmac
    now = int(time.time()) if now is None else now
    claims = {"exp": now + 300 if exp is None else exp, "iss": key,
              "nbf": now if nbf is None else nbf,
              "sha256": base64.b64encode(hashlib.sha256(body).digest()).decode()
              if sha is None else sha}
    header = _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims, sort_keys=True).encode())
    signing = (header + "." + payload).encode()
    sig = _b64url(hmac.new(secret.encode(), signing, hashlib.sha256).digest())
    return header + "." + payload + "." + sig


_lk_seq = [0]


def lk_event(event, room, participant=None, created_at=None, event_id=None,
             **extra):
    """Returns a WebhookEvent body (bytes) in LiveKit's protojson shape."""
    _lk_seq[0] += 1
    ev = {"event": event,
          "room": {"sid": "RM_test", "name": room, "emptyTimeout": 20},
          "id": event_id or "EV_%d_%d" % (os.getpid(), _lk_seq[0]),
          "createdAt": str(int(time.time()) if created_at is None else created_at)}
    if participant is not None:
        ev["participant"] = {"sid": "PA_" + participant, "identity": participant,
                             "state": "ACTIVE", "joinedAt": ev["createdAt"]}
    ev.update(extra)
    return json.dumps(ev).encode()


def lk_send(m, body, token=None, headers=None):
    """POSTs a webhook to meetd; returns (status, headers, body)."""
    h = {"Content-Type": "application/webhook+json",
         "Authorization": lk_token(body) if token is None else token}
    if headers:
        h.update(headers)
    return m.request("POST", "/livekit/webhook", raw_body=body, headers=h,
                     key=False)
