"""Running meetd as a service: installation, the systemd unit, the manual
page, --check-config, and MEET_LOG_FILE with SIGHUP reopening.

    python3 tests/api/test_service.py --bin-dir build/dev/bin

The build directory is the parent of --bin-dir; `cmake --install` into a
temporary prefix is what `make install` runs on the release build.
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Meetd

# Directives docs/meetd.service.in must keep (the sandbox and operability
# contract documented in meetd(8) and README.md).
UNIT_DIRECTIVES = [
    "DynamicUser=yes",
    "StateDirectory=meetd",
    "Environment=MEET_DATA_DIR=/var/lib/meetd",
    "EnvironmentFile=-/etc/meetd/meetd.env",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "NoNewPrivileges=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "MemoryDenyWriteExecute=yes",
    "SystemCallArchitectures=native",
    "CapabilityBoundingSet=",
    "Restart=on-failure",
    "ExecReload=/bin/kill -HUP $MAINPID",
]


def help_env_vars(meetd):
    out = subprocess.run([meetd, "--help"], capture_output=True, text=True,
                         check=True).stdout
    names = re.findall(r"\(env ([A-Z0-9_]+), default", out)
    flags = re.findall(r"^  --([a-z0-9-]+)", out, re.M)
    return names, flags


def wait_for(pred, timeout=10.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build_dir = os.path.dirname(harness.BIN_DIR)
        cls.prefix = tempfile.mkdtemp(prefix="meetd-install-")
        r = subprocess.run(["cmake", "--install", cls.build_dir,
                            "--prefix", cls.prefix],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + r.stdout
                                 + r.stderr)
        cls.bindir = os.path.join(cls.prefix, "bin")
        cls.unit = os.path.join(cls.prefix, "lib/systemd/system/meetd.service")
        cls.man = os.path.join(cls.prefix, "share/man/man8/meetd.8")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def test_files_and_modes(self):
        for name in ("meetd", "meetd-worker", "meetctl"):
            st = os.stat(os.path.join(self.bindir, name))
            self.assertTrue(stat.S_ISREG(st.st_mode), name)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o755, name)
        for path in (self.unit, self.man):
            st = os.stat(path)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o644, path)

    def test_installed_meetd_runs_installed_worker(self):
        saved = harness.BIN_DIR
        harness.BIN_DIR = self.bindir
        try:
            with Meetd() as m:
                status, _, body = m.request("GET", "/health", key=False)
                self.assertEqual(status, 200, body)
                want = os.path.realpath(os.path.join(self.bindir,
                                                     "meetd-worker"))
                for pid in m.worker_pids().values():
                    self.assertEqual(os.readlink("/proc/%d/exe" % pid), want)
        finally:
            harness.BIN_DIR = saved

    def test_unit_file(self):
        text = read(self.unit)
        lines = [l.strip() for l in text.splitlines()]
        for d in UNIT_DIRECTIVES:
            self.assertIn(d, lines, d)
        # @bindir@ was replaced by the prefix actually installed to.
        self.assertIn("ExecStart=%s/meetd" % self.bindir, lines)
        self.assertNotIn("@bindir@", text)
        tool = shutil.which("systemd-analyze")
        if tool is None:
            self.skipTest("systemd-analyze not found; directives checked only")
        # MANPATH lets verify resolve Documentation=man:meetd(8).
        env = dict(os.environ,
                   MANPATH=os.path.join(self.prefix, "share/man") + ":")
        r = subprocess.run([tool, "verify", self.unit], env=env,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_man_page_lists_every_setting(self):
        names, flags = help_env_vars(os.path.join(self.bindir, "meetd"))
        self.assertGreater(len(names), 20)
        self.assertIn("MEET_LOG_FILE", names)
        man = read(self.man)
        for n in names:
            self.assertIn(n, man, "meetd.8 does not mention %s" % n)
        for f in flags:
            self.assertIn("\\-\\-" + f.replace("-", "\\-"), man,
                          "meetd.8 does not mention --%s" % f)
        if shutil.which("groff"):
            r = subprocess.run(["groff", "-man", "-ww", "-z", self.man],
                               capture_output=True, text=True)
            self.assertEqual(r.stderr, "", r.stderr)


class CheckConfigTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="meetd-check-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check(self, env=None, args=None):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("MEET_", "SERVER_", "LIVEKIT_"))}
        e["MEET_DATA_DIR"] = os.path.join(self.tmp, "data")
        e.update(env or {})
        return subprocess.run(
            [os.path.join(harness.BIN_DIR, "meetd"), "--check-config"]
            + (args or []), env=e, capture_output=True, text=True)

    def test_valid(self):
        log = os.path.join(self.tmp, "meetd.log")
        r = self.check({"MEET_LOG_FILE": log})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration is valid", r.stdout)
        # No side effects: neither the data directory nor the log file.
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "data")))
        self.assertFalse(os.path.exists(log))

    def test_data_dir_with_missing_parents_is_valid(self):
        r = self.check({"MEET_DATA_DIR": os.path.join(self.tmp, "a/b/c")})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "a")))

    def test_invalid_values(self):
        cases = [
            {"MEET_LOG_LEVEL": "loud"},
            {"SERVER_PORT": "70000"},
            {"MEET_MAX_BODY_SIZE": "lots"},
            {"MEET_WORKER_BIN": os.path.join(self.tmp, "no-such-worker")},
            {"MEET_LOG_FILE": os.path.join(self.tmp, "no/such/dir/x.log")},
            {"MEET_LOG_FILE": self.tmp},
        ]
        for env in cases:
            r = self.check(env)
            self.assertEqual(r.returncode, 2, (env, r.stdout, r.stderr))
            self.assertIn("meetd: ", r.stderr)
        r = self.check(args=["--no-such-flag"])
        self.assertEqual(r.returncode, 2)

    def test_data_dir_under_a_file_is_invalid(self):
        f = os.path.join(self.tmp, "file")
        open(f, "w").close()
        r = self.check({"MEET_DATA_DIR": os.path.join(f, "data")})
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("MEET_DATA_DIR", r.stderr)
        r = self.check({"MEET_DATA_DIR": f})
        self.assertEqual(r.returncode, 2, r.stdout)


class LogFileTest(unittest.TestCase):
    def test_log_file_and_sighup_reopen(self):
        tmp = tempfile.mkdtemp(prefix="meetd-logfile-")
        path = os.path.join(tmp, "meetd.log")
        try:
            with Meetd(env={"MEET_LOG_FILE": path}) as m:
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode)
                                 & ~0o022, 0o640 & ~0o022)
                # Gateway and worker lines (the workers inherit fd 2).
                first = wait_for(lambda: "[shard-0]" in read(path)
                                 and "[shard-1]" in read(path)
                                 and read(path))
                self.assertIn("[gateway]", first)
                self.assertIn("[shard-0]", first)
                self.assertNotIn("[gateway]", m.read_log())

                rotated = path + ".1"
                os.rename(path, rotated)
                m.signal(signal.SIGHUP)
                status, _, _ = m.request("GET", "/health", key=False)
                self.assertEqual(status, 200)
                new = wait_for(lambda: "reopened log file" in read(path)
                               and read(path))
                self.assertIn("[gateway]", new)
                self.assertNotIn("reopened log file", read(rotated))
                # Still serving after the reopen, and the gateway keeps
                # writing to the new file.
                status, _, _ = m.request("GET", "/health", key=False)
                self.assertEqual(status, 200)

                # A worker started after the reopen writes to the new file
                # (the ones before keep the rotated one until restarted).
                pid = m.worker_pids()[1]
                os.kill(pid, signal.SIGKILL)
                self.assertTrue(wait_for(lambda: "[shard-1]" in read(path),
                                         timeout=20.0), read(path))
                self.assertEqual(m.request("GET", "/health", key=False)[0],
                                 200)
                self.assertIsNone(m.proc.poll())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_sighup_without_log_file_is_harmless(self):
        with Meetd() as m:
            m.signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "received SIGHUP"
                                     in m.read_log()))
            self.assertEqual(m.request("GET", "/health", key=False)[0], 200)
            self.assertIsNone(m.proc.poll())

    def test_unwritable_log_file_fails_at_start(self):
        tmp = tempfile.mkdtemp(prefix="meetd-logfile-")
        try:
            e = {k: v for k, v in os.environ.items()
                 if not k.startswith(("MEET_", "SERVER_", "LIVEKIT_"))}
            e.update({"MEET_LOG_FILE": os.path.join(tmp, "no/dir.log"),
                      "MEET_DATA_DIR": os.path.join(tmp, "data"),
                      "SERVER_PORT": "0", "SERVER_HOST": "127.0.0.1"})
            r = subprocess.run([os.path.join(harness.BIN_DIR, "meetd")],
                               env=e, capture_output=True, text=True,
                               timeout=20)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("MEET_LOG_FILE", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(tmp, "data")))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    harness.main()
