"""Fault injection and hostile input against the installed plugin: real
slapd, real Dovecot, Dovecot's auth-client socket and imaplib (harness.py),
plus stall_proxy.py for directories that hang.

What is shown here (issue 5, SPEC.md "Operations" and "The decision"):

  DirectoryFaultTest  slapd stopped -> temporary failure ([UNAVAILABLE] over
                      IMAP), the auth process stays up, logins work again
                      within seconds of slapd's return without restarting
                      Dovecot; a dead first URI fails over to the second; a
                      server that accepts but never answers hits ldap_timeout
                      (temporary failure), also when it stalls mid-run, and
                      logins recover when it answers again; a connection
                      black-holed while its service bind was in flight is
                      replaced; an unreachable host (SYNs dropped) does not
                      freeze other logins. Through all of it bob (not a
                      member of info) is never granted, and alice (a member)
                      never gets a permanent "wrong password".
  HostileInputTest    LDAP filter metacharacters in every part, control
                      bytes, invalid UTF-8, over-long logins and passwords,
                      empty parts, repeated separators, empty password: all
                      refused (neither OK nor temporary) with a reason in
                      the log, slapd only ever sees escaped filters, the auth
                      process survives and a correct login works afterwards.
                      Runs with `auth_username_chars =` (empty: Dovecot
                      allows every character) because with the example's
                      restricted set Dovecot itself refuses '(' ')' '\\'
                      and control bytes before any passdb runs, and the
                      plugin's own handling would go untested.
  HostileInputDefaultCharsTest  the same kind of input with the
                      auth_username_chars of dovecot-example.conf: refused,
                      by Dovecot or by the plugin, never granted.
  EmptyPasswordTest   a member of info without userPassword, against a
                      slapd that accepts a DN with an empty password as an
                      anonymous bind (`allow bind_anon_dn`): never granted.
  SecretsNotLoggedTest  with auth_debug=yes, no password of the run (the
                      fixture's and this file's) is in Dovecot's or slapd's
                      log.

The slapd used here logs every operation (`-d 256`, stats: BIND dn, SRCH
filter) to its slapd.log, which is what the escaping and secret checks
read. Every server listens on 127.0.0.1 only and is stopped by the test's
cleanups, also on failure. Failing logins go pipelined with `no-penalty`.
The same tests run on Dovecot 2.3 and 2.4; only the log format differs
(PLUGIN_REASON_RE and harness.request_lines() read both).

    cd /work/main && FA_REQUIRE_MODULE=1 \\
        /usr/bin/python3 -m unittest tests.integration.test_faults -v
"""

import base64
import imaplib
import math
import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import stall_proxy  # noqa: E402

ALICE_PW = harness.PASSWORDS["alice"]
BOB_PW = harness.PASSWORDS["bob"]
# alice and carol are members of info; bob is not
ALICE_INFO = ("alice@example.com/info@example.com", ALICE_PW)
BOB_INFO = ("bob@example.com/info@example.com", BOB_PW)
CAROL_INFO = ("carol@example.com*info@example.com",
              harness.PASSWORDS["carol"])
LDAP_TIMEOUT = 2
# the plugin's ldap_timeout where a test does not set it
DEFAULT_LDAP_TIMEOUT = float(harness.example_default("ldap_timeout"))
# words of a log line that names why a login failed
CRASH_RE = re.compile(r"Panic:|Fatal:|killed with signal|"
                      r"service\(auth\).*(returned error|exit)")
# the plugin's reason line: 2.3 "functional(user,rip,<session>): denied:
# ...", 2.4 "auth(user,rip,sasl:plain)<session>: Info: functional: denied:
# ..." (the passdb's name as prefix: functional or functional-master)
PLUGIN_REASON_RE = re.compile(harness.dialect(
    r"functional\(.*\): ", r"(?:^|\s)functional(?:-master)?: ") +
    r"(rejected login:|denied:|password bind refused|empty password)")


def log(fmt, *args):
    """Timing lines for the report (stderr, shown with -v)."""
    sys.stderr.write("\n    [faults] " + (fmt % args if args else fmt))
    sys.stderr.flush()


def require_module():
    if not os.path.exists(harness.MODULE_PATH):
        why = "%s is not installed (run ./scripts/build.sh)" % (
            harness.MODULE_PATH)
        if os.environ.get("FA_REQUIRE_MODULE"):
            raise AssertionError(why + " and FA_REQUIRE_MODULE is set")
        raise unittest.SkipTest(why + "; set FA_REQUIRE_MODULE=1 to make "
                                "this a failure")


def fixture_passwords():
    """Every password of the run's directory: harness.PASSWORDS and every
    userPassword of the fixture LDIF (which other tests may extend)."""
    found = set(harness.PASSWORDS.values())
    with open(harness.FIXTURE_LDIF) as f:
        for line in f:
            m = re.match(r"userPassword:\s*(\S.*)$", line)
            if m and not line.startswith("userPassword::"):
                found.add(m.group(1).strip())
    return {p for p in found if len(p) >= 6}


# --- servers ---------------------------------------------------------------


# --- time bounds: from ldap_timeout, auth_failure_delay and a baseline --------
#
# No fixed seconds (harness.py, "time"): what a login may take is built
# from the timeouts the configuration sets and from a baseline measured in
# the same test, so that valgrind and a busy machine do not fail a test
# while a login that waits a timeout too many still does.


def plain_login_seconds(dovecot, runs=5):
    """What a plain login (the site's LDAP passdb) takes here when nothing
    stalls: the slowest of a few, after one that also connects (valgrind
    and other load make it slow). A login stuck behind the plugin's
    directory trouble would add about ldap_timeout to it."""
    def login():
        reply = harness.auth_client_login(dovecot.auth_socket,
                                          "alice@example.com", ALICE_PW)
        assert reply.ok, reply.raw
    login()
    return harness.baseline_seconds(login, runs)


def stall_limit(dovecot, baseline, timeouts=1):
    """The longest a login stuck on a silent directory may take to fail
    temporarily: `timeouts` times ldap_timeout (the plugin's limit on a
    login's directory work), Dovecot's failure delay, and for the rest
    half an ldap_timeout and a few plain logins (`baseline`) of this run:
    about one ldap_timeout, not several."""
    return ((timeouts + 0.5) * LDAP_TIMEOUT + dovecot.failure_delay_max() +
            4 * baseline)


def plain_limit(baseline):
    """The longest a plain login may take while the plugin waits for a
    silent directory: a few times what it takes anyway, plus half an
    ldap_timeout. One that waited behind the plugin, sent as soon as the
    plugin's wait began, would take the rest of that ldap_timeout."""
    return LDAP_TIMEOUT / 2 + 3 * baseline


def syn_sent(port):
    """Connections to 127.0.0.1:port that are still connecting (SYN_SENT
    in /proc/net/tcp)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        return sum(1 for cols in (line.split() for line in f)
                   if cols[2] == want and cols[3] == "02")


def plain_login_while(dovecot, logins, waiting):
    """Send the composite `logins` from a thread and, as soon as
    waiting() says the plugin waits for the directory (its connection
    was accepted, or is still connecting: measured, where a head start of
    fixed seconds may be too short under valgrind), one plain login (the
    site's LDAP passdb). Returns the plain reply, how long it took, and
    the composite replies with their total time (None if they never came
    back); raises AssertionError if the plugin never waited or the
    composite logins were answered before the plain one (then nothing
    was shown about the two overlapping)."""
    result = {}

    def composite():
        started = time.monotonic()
        result["replies"] = harness.auth_client_many(
            dovecot.auth_socket, logins, timeout=harness.PATIENCE)
        result["done"] = time.monotonic()
        result["took"] = result["done"] - started

    thread = threading.Thread(target=composite, daemon=True)
    thread.start()
    deadline = time.monotonic() + harness.PATIENCE
    while (not waiting() and thread.is_alive() and
           time.monotonic() < deadline):
        time.sleep(0.01)
    if not waiting():
        raise AssertionError("the plugin never started to wait for the "
                             "directory (composite replies: %r)"
                             % [r.raw for r in result.get("replies", [])])
    plain, plain_took = harness.timed(
        harness.auth_client_login, dovecot.auth_socket,
        "alice@example.com", ALICE_PW)
    plain_done = time.monotonic()
    thread.join(harness.PATIENCE)
    if thread.is_alive():
        return plain, plain_took, None, None
    if result["done"] <= plain_done:
        raise AssertionError(
            "the composite logins were answered (after %.2f s) before the "
            "plain login (%.2f s): they did not overlap"
            % (result["took"], plain_took))
    return plain, plain_took, result["replies"], result["took"]

class LoggingSlapd(harness.Slapd):
    """harness.Slapd that logs every operation (`slapd -d 256`: BIND dn,
    SRCH filter, RESULT err) into its slapd.log, and with
    allow_empty_password_binds=True also accepts a bind with a DN and an
    empty password as an anonymous bind (`allow bind_anon_dn`; the
    similar-sounding bind_anon_cred is about an empty DN with a password,
    both are set) - the most dangerous directory for a plugin that would
    pass an empty password on."""

    def __init__(self, allow_empty_password_binds=False, **kw):
        self.allow_empty_password_binds = allow_empty_password_binds
        super().__init__(**kw)

    def _write_conf(self, schema_files):
        super()._write_conf(schema_files)
        if not self.allow_empty_password_binds:
            return
        with open(self.conf_path) as f:
            text = f.read()
        # a global directive: before the first database section
        text, n = re.subn(r"^database\s", "allow bind_anon_cred bind_anon_dn"
                          "\n\ndatabase ", text, count=1, flags=re.M)
        assert n == 1, "no database section in " + self.conf_path
        with open(self.conf_path, "w") as f:
            f.write(text)

    def _spawn(self, argv, out_path):
        argv = list(argv)
        if "-d" in argv:
            argv[argv.index("-d") + 1] = "256"
        super()._spawn(argv, out_path)

    def filters(self, since=0):
        """Every SRCH filter slapd was asked since the mark, as it logs
        them (values re-escaped by slapd: \\2A for '*' etc.)."""
        return re.findall(r' SRCH base=".*" scope=\d+ deref=\d+ '
                          r'filter="(.*)"$', self.log_text(since), re.M)

    def bind_results(self, since=0):
        """[(dn, err)] of every simple BIND since the mark."""
        text = self.log_text(since)
        dns = {}
        out = []
        for m in re.finditer(r"conn=(\d+) op=(\d+) (?:BIND dn=\"(.*)\" "
                             r"method=128|RESULT tag=97 err=(\d+))", text):
            key = (m.group(1), m.group(2))
            if m.group(3) is not None:
                dns[key] = m.group(3)
            elif key in dns:
                out.append((dns.pop(key), int(m.group(4))))
        return out

    def modify(self, ldif):
        """ldapmodify as the rootdn; raises on failure."""
        r = subprocess.run(
            ["ldapmodify", "-x", "-H", self.uri, "-D", harness.ADMIN_DN,
             "-w", harness.ADMIN_PASSWORD], input=ldif,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=30)
        if r.returncode != 0:
            raise RuntimeError("ldapmodify failed (%s):\n%s" % (
                r.returncode, r.stdout))


def start_slapd(case, **kw):
    slapd = LoggingSlapd(**kw)
    case.addCleanup(slapd.cleanup)
    return slapd


def start_dovecot(case, plugin_uris, site_uri, extra_conf="",
                  auth_debug=False, **plugin_settings):
    """A Dovecot whose plugin talks to plugin_uris (ldap_uris) and whose
    site LDAP passdb (logins without separator) talks to site_uri."""
    dovecot = harness.Dovecot(
        plugin_conf_text=harness.fixture_plugin_conf(plugin_uris,
                                                     **plugin_settings),
        ldap_uri=site_uri, auth_debug=auth_debug, extra_conf=extra_conf)
    case.addCleanup(dovecot.cleanup)
    return dovecot


def start_proxy(case, **kw):
    proxy = stall_proxy.StallProxy(**kw)
    case.addCleanup(proxy.close)
    return proxy


def auth_pid(dovecot):
    """PID of the Dovecot auth process: the master's child titled
    ".../auth" (or, under FA_VALGRIND, valgrind running .../auth), or
    None if there is none."""
    if not dovecot.running():
        return None
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % name, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if (ppid == dovecot.proc.pid and b"-w" not in argv and
                any(arg.endswith(b"/auth") for arg in argv)):
            return int(name)
    return None


def raw_auth_many(socket_path, requests, timeout=60):
    """Like harness.auth_client_many, but the SASL PLAIN fields may be any
    bytes (invalid UTF-8, control bytes; a NUL in the password makes a
    malformed PLAIN message), and a request's `session` is sent along so
    that Dovecot names it in every log line of that request (`<session>`).
    requests: dicts with user, password, and optionally authzid, session.
    Returns harness.AuthReply objects in request order."""
    def b(value):
        return value if isinstance(value, bytes) else value.encode()

    conn = harness._AuthConnection(socket_path, timeout)
    try:
        lines = []
        for i, req in enumerate(requests, 1):
            resp = b"\0".join((b(req.get("authzid") or b""), b(req["user"]),
                               b(req["password"])))
            params = [b"AUTH", b"%d" % i, b"PLAIN", b"service=imap",
                      b"no-penalty"]
            if req.get("session"):
                params.append(b"session=" + b(req["session"]))
            params.append(b"resp=" + base64.b64encode(resp))
            lines.append(b"\t".join(params) + b"\n")
        conn.sock.sendall(b"".join(lines))
        replies = {}
        while len(replies) < len(lines):
            line = conn.readline()
            cmd, _, rest = line.partition("\t")
            if cmd in ("OK", "FAIL", "CONT"):
                replies[int(rest.split("\t", 1)[0])] = \
                    harness._parse_reply(line)
        return [replies[i] for i in range(1, len(lines) + 1)]
    finally:
        conn.close()


wait_log = harness.wait_log


def reason_logged(text, session, expect, why=None):
    """Has the request of `session` logged its reason: a plugin reason
    line (expect "plugin") or a line matching `why` ("dovecot")? What the
    log waits for before tests read a request's lines."""
    lines = [line for line in text.splitlines()
             if "<%s>" % session in line]
    if expect == "plugin":
        return any(PLUGIN_REASON_RE.search(line) for line in lines)
    return any(re.search(why, line, re.I) for line in lines)


def slapd_escaped(value):
    """How slapd's stats log shows `value` when it arrived as one escaped
    assertion value: '*', '(', ')', '\\' (and bytes outside printable
    ASCII) as \\XX."""
    out = []
    for ch in value.encode():
        if ch in b"*()\\" or ch < 0x20 or ch >= 0x7f:
            out.append("\\%02X" % ch)
        else:
            out.append(chr(ch))
    return "".join(out)


class LoginLoad(threading.Thread):
    """Background logins, pipelined in batches on fresh auth connections,
    until stop() (or max_seconds). Records (time, [AuthReply]) per batch
    and any connection error (the auth process died or hung)."""

    def __init__(self, socket_path, logins, max_seconds=60, pause=0.1):
        super().__init__(daemon=True)
        self.socket_path = socket_path
        self.logins = logins
        self.max_seconds = max_seconds
        self.pause = pause
        self.results = []
        self.errors = []
        self._stop_event = threading.Event()

    def run(self):
        deadline = time.monotonic() + self.max_seconds
        while not self._stop_event.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                replies = harness.auth_client_many(
                    self.socket_path,
                    [dict(user=u, password=p) for u, p in self.logins],
                    timeout=30)
            except (OSError, ConnectionError) as e:
                self.errors.append((started, repr(e)))
                self._stop_event.wait(0.5)
                continue
            self.results.append((started, replies))
            self._stop_event.wait(self.pause)

    def stop(self):
        self._stop_event.set()
        self.join(40)


class FaultTestCase(unittest.TestCase):
    """Helpers shared by the classes below."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_module()

    def assertAuthAlive(self, dovecot, pid_before):
        """Same auth process as before, no crash in the log, and the auth
        socket still answers."""
        crashes = [line for line in dovecot.log_text().splitlines()
                   if CRASH_RE.search(line)]
        self.assertEqual(crashes, [], "the auth process crashed")
        if pid_before is not None:
            self.assertEqual(auth_pid(dovecot), pid_before,
                             "the auth process was replaced")
        try:
            # the handshake (VERSION ... DONE) is the auth process's own
            # answer; a login would cost a failure delay. A hang detector
            # only: under valgrind on a busy machine it may be slow.
            harness._AuthConnection(dovecot.auth_socket,
                                    harness.PATIENCE).close()
        except (OSError, ConnectionError) as e:
            self.fail("the auth socket does not answer any more: %r" % e)

    def assertTemporary(self, reply, what):
        self.assertFalse(reply.ok, "%s was granted: %s" % (what, reply.raw))
        self.assertTrue(reply.temp, "%s: expected a temporary failure, "
                        "got %s" % (what, reply.raw))

    def assertRefused(self, reply, what):
        """A plain refusal: not OK and not a temporary failure."""
        self.assertFalse(reply.ok, "%s was granted: %s" % (what, reply.raw))
        self.assertFalse(reply.temp, "%s: expected a refusal, got a "
                         "temporary failure: %s" % (what, reply.raw))
        self.assertNotEqual(reply.fields.get("user"), "info@example.com",
                            reply.raw)

    def assertNoWrongGrant(self, load):
        """bob/info never OK; alice/info only OK or temporary; the load
        never lost its connection."""
        self.assertEqual(load.errors, [], "auth connections failed during "
                         "the load")
        self.assertTrue(load.results, "the load sent nothing")
        for started, replies in load.results:
            for (login, _), reply in zip(load.logins, replies):
                if login == BOB_INFO[0]:
                    self.assertFalse(reply.ok, "bob (not a member) was "
                                     "granted info: %s" % reply.raw)
                elif login in (ALICE_INFO[0], CAROL_INFO[0]):
                    self.assertTrue(reply.ok or reply.temp, "a member got "
                                    "a permanent failure during a "
                                    "directory fault (must be temporary): "
                                    "%s" % reply.raw)

    def wait_for_load(self, load, since, limit):
        """Wait until the load has finished a batch started after the
        monotonic `since`: the batch in flight ends, then the next one,
        each within `limit` (a login's worst case here, see
        stall_limit()). Gives up after that; assertions follow."""
        deadline = since + 2 * limit + load.pause
        while (time.monotonic() < deadline and load.is_alive() and
               not any(t > since for t, _ in load.results)):
            time.sleep(0.05)

    def wait_for_login(self, dovecot, login, deadline):
        """Retry `login` until OK or the monotonic deadline; the last
        reply."""
        while True:
            reply = harness.auth_client_login(dovecot.auth_socket, *login,
                                              timeout=30)
            if reply.ok or time.monotonic() >= deadline:
                return reply
            time.sleep(0.1)


# --- directory faults ---------------------------------------------------------

class DirectoryFaultTest(FaultTestCase):

    def test_slapd_stopped_gives_temporary_failure_and_recovers_without_restart(self):
        slapd = start_slapd(self)
        dovecot = start_dovecot(self, slapd.uri, slapd.uri)
        self.assertTrue(harness.auth_client_login(dovecot.auth_socket,
                                                  *ALICE_INFO).ok)
        pid = auth_pid(dovecot)
        baseline = plain_login_seconds(dovecot)
        # a login sent while the plugin still finds the directory gone
        # fails within ldap_timeout (a connect) and the failure delay
        failing = (DEFAULT_LDAP_TIMEOUT + dovecot.failure_delay_max() +
                   4 * baseline)
        load = LoginLoad(dovecot.auth_socket, [ALICE_INFO, BOB_INFO])
        load.start()
        self.addCleanup(load.stop)

        slapd.stop()
        started = time.monotonic()
        replies = harness.auth_client_many(
            dovecot.auth_socket, [ALICE_INFO, BOB_INFO, CAROL_INFO],
            timeout=30)
        took = time.monotonic() - started
        for login, reply in zip((ALICE_INFO, BOB_INFO, CAROL_INFO), replies):
            self.assertTemporary(reply, login[0])
        log("slapd down: temporary failures after %.2f s", took)
        with self.assertRaises(imaplib.IMAP4.error) as caught:
            harness.imap_login(dovecot.imap_port, *ALICE_INFO)
        self.assertIn("[UNAVAILABLE]", str(caught.exception))
        self.assertAuthAlive(dovecot, pid)

        restart_at = time.monotonic()
        slapd.start()
        answering = time.monotonic()
        # from when slapd answers: at most one more login fails
        reply = self.wait_for_login(dovecot, ALICE_INFO,
                                    answering + failing)
        recovered = time.monotonic()
        self.assertTrue(reply.ok, "no successful login within %.1f s of "
                        "slapd answering again: %s" % (failing, reply.raw))
        log("recovery: %.2f s after slapd was started (%.2f s after it "
            "answered)", recovered - restart_at, recovered - answering)
        # the load's batch in flight ends (bob's refusal waits the
        # failure delay), then one started after the recovery
        self.wait_for_load(load, recovered, failing)
        load.stop()
        self.assertNoWrongGrant(load)
        self.assertTrue(any(r[0].ok for t, r in load.results
                            if t > recovered),
                        "the background load did not recover")
        self.assertRefused(harness.auth_client_login(dovecot.auth_socket,
                                                     *BOB_INFO), "bob/info")
        self.assertAuthAlive(dovecot, pid)

    def test_dead_first_uri_fails_over_to_live_second(self):
        slapd = start_slapd(self)
        dead = harness.free_port()     # nothing listens there
        # the baseline: the same first logins of a fresh Dovecot (they
        # also connect; under valgrind they take seconds) with the live
        # URI alone
        ref = start_dovecot(self, slapd.uri, slapd.uri)
        replies, cold = harness.timed(
            harness.auth_client_many, ref.auth_socket,
            [ALICE_INFO, CAROL_INFO], timeout=harness.PATIENCE)
        self.assertTrue(all(r.ok for r in replies), [r.raw for r in replies])
        ref.cleanup()
        # a failover that waited for a timeout would take ldap_timeout at
        # least: make that much longer than a failover may take here
        ldap_timeout = max(int(DEFAULT_LDAP_TIMEOUT), math.ceil(6 * cold))
        limit = ldap_timeout / 2 + cold
        dovecot = start_dovecot(
            self, "ldap://127.0.0.1:%d/ %s" % (dead, slapd.uri), slapd.uri,
            ldap_timeout=ldap_timeout)
        replies, took = harness.timed(
            harness.auth_client_many, dovecot.auth_socket,
            [ALICE_INFO, CAROL_INFO], timeout=harness.PATIENCE)
        self.assertTrue(all(r.ok for r in replies), [r.raw for r in replies])
        self.assertEqual(replies[0].fields.get("user"), "info@example.com")
        self.assertLess(took, limit, "failover took %.2f s (without the "
                        "dead URI: %.2f s; ldap_timeout %d s)"
                        % (took, cold, ldap_timeout))
        log("failover past a dead first URI: 2 logins in %.2f s (%.2f s "
            "without it)", took, cold)
        # again on the reused connections, and a refusal stays a refusal
        replies = harness.auth_client_many(
            dovecot.auth_socket, [ALICE_INFO, BOB_INFO], timeout=30)
        self.assertTrue(replies[0].ok, replies[0].raw)
        self.assertRefused(replies[1], "bob/info")

    def proxied_directory(self):
        """slapd behind a StallProxy that passes everything through for
        now, a Dovecot whose plugin goes through it (ldap_timeout
        LDAP_TIMEOUT), and one functional login that worked: (proxy,
        dovecot, auth process PID)."""
        slapd = start_slapd(self)
        proxy = start_proxy(self, upstream_port=slapd.port)
        dovecot = start_dovecot(self, proxy.uri, slapd.uri,
                                ldap_timeout=LDAP_TIMEOUT)
        self.assertTrue(harness.auth_client_login(dovecot.auth_socket,
                                                  *ALICE_INFO).ok)
        return proxy, dovecot, auth_pid(dovecot)

    def test_stalled_directory_times_out_as_temporary_failure(self):
        slapd = start_slapd(self)
        proxy = start_proxy(self)      # accepts, never answers
        dovecot = start_dovecot(self, proxy.uri, slapd.uri,
                                ldap_timeout=LDAP_TIMEOUT)
        pid = auth_pid(dovecot)
        baseline = plain_login_seconds(dovecot)
        limit = stall_limit(dovecot, baseline)
        accepted = proxy.accepted
        # while those wait for the directory, the auth process serves
        # other logins (the site's LDAP passdb, a real slapd) at once
        plain, plain_took, replies, took = plain_login_while(
            dovecot, [ALICE_INFO, BOB_INFO],
            lambda: proxy.accepted > accepted)
        self.assertIsNotNone(replies, "stalled logins never answered")
        self.assertTrue(plain.ok, plain.raw)
        self.assertLess(plain_took, plain_limit(baseline),
                        "a plain login waited %.2f s (it takes %.3f s here) "
                        "behind the stalled directory"
                        % (plain_took, baseline))
        for login, reply in zip((ALICE_INFO, BOB_INFO), replies):
            self.assertTemporary(reply, login[0])
        self.assertLess(took, limit, "stalled logins failed after %.2f s "
                        "(ldap_timeout %d s)" % (took, LDAP_TIMEOUT))
        log("stalled server, ldap_timeout=%d: temporary failure after "
            "%.2f s (limit %.2f s); plain login meanwhile %.3f s (baseline "
            "%.3f s)", LDAP_TIMEOUT, took, limit, plain_took, baseline)
        # and again: the auth process is not wedged by the first round
        reply, took = harness.timed(
            harness.auth_client_login, dovecot.auth_socket, *ALICE_INFO,
            timeout=harness.PATIENCE)
        self.assertTemporary(reply, ALICE_INFO[0])
        self.assertLess(took, limit, "the second stalled login failed "
                        "after %.2f s" % took)
        log("second stalled login: temporary failure after %.2f s", took)
        self.assertIn("timed out", dovecot.log_text())
        self.assertAuthAlive(dovecot, pid)

    def test_directory_stalling_mid_run_fails_temporarily_then_recovers(self):
        proxy, dovecot, pid = self.proxied_directory()
        baseline = plain_login_seconds(dovecot)
        limit = stall_limit(dovecot, baseline)
        load = LoginLoad(dovecot.auth_socket, [ALICE_INFO, BOB_INFO])
        load.start()           # its batches overlap the stall below
        self.addCleanup(load.stop)

        proxy.pause()         # slapd hangs: nothing is answered
        replies, took = harness.timed(
            harness.auth_client_many, dovecot.auth_socket,
            [ALICE_INFO, BOB_INFO], timeout=harness.PATIENCE)
        for login, reply in zip((ALICE_INFO, BOB_INFO), replies):
            self.assertTemporary(reply, login[0])
        self.assertLess(took, limit, "stalled logins failed after %.2f s "
                        "(ldap_timeout %d s)" % (took, LDAP_TIMEOUT))
        log("stall mid-run: temporary failure after %.2f s (limit %.2f s)",
            took, limit)

        resumed = time.monotonic()
        proxy.resume()        # slapd answers again, held requests first
        # a login sent at once may still fail on a connection given up
        # during the stall: one stalled login's time, then one more login
        reply = self.wait_for_login(dovecot, ALICE_INFO,
                                    resumed + limit + baseline)
        recovered = time.monotonic()
        self.assertTrue(reply.ok, "no successful login within %.1f s of the "
                        "directory answering again: %s"
                        % (limit + baseline, reply.raw))
        log("recovery after the stall ended: %.2f s", recovered - resumed)
        self.wait_for_load(load, recovered, limit)
        load.stop()
        self.assertNoWrongGrant(load)
        self.assertRefused(harness.auth_client_login(dovecot.auth_socket,
                                                     *BOB_INFO), "bob/info")
        self.assertAuthAlive(dovecot, pid)

    def test_connection_lost_during_service_bind_is_replaced_after_timeout(self):
        # The network swallows everything on the plugin's connections for
        # a while (proxy.blackhole(): those connections are never answered
        # again, also when the network is back - e.g. state lost in a
        # firewall or load balancer). New connections work again at once.
        # A connection whose service bind is never answered must be given
        # up after ldap_timeout like any other operation, or the plugin
        # waits on it for ever.
        proxy, dovecot, pid = self.proxied_directory()
        baseline = plain_login_seconds(dovecot)
        limit = stall_limit(dovecot, baseline)
        proxy.blackhole()
        for n in (1, 2):       # the second round reconnects into the void
            replies, took = harness.timed(
                harness.auth_client_many, dovecot.auth_socket,
                [ALICE_INFO, BOB_INFO], timeout=harness.PATIENCE)
            for login, reply in zip((ALICE_INFO, BOB_INFO), replies):
                self.assertTemporary(reply, login[0])
            self.assertLess(took, limit, "round %d: black-holed logins "
                            "failed after %.2f s (ldap_timeout %d s)"
                            % (n, took, LDAP_TIMEOUT))
            log("black-holed, round %d: temporary failure after %.2f s "
                "(limit %.2f s)", n, took, limit)
        accepted = proxy.accepted
        healed = time.monotonic()
        proxy.resume()         # new connections are forwarded again
        # a timed-out service bind is dropped ldap_timeout after its
        # connect, i.e. before now: a login sent now fails at most once
        # more (a stalled login's time), then one gets through
        reply = self.wait_for_login(dovecot, ALICE_INFO,
                                    healed + limit + baseline)
        recovered = time.monotonic()
        log("black-holed connections: %d accepted before the network came "
            "back, %d after; recovered: %s after %.2f s", accepted,
            proxy.accepted - accepted, reply.ok, recovered - healed)
        self.assertTrue(reply.ok, "logins never recovered after the "
                        "network came back (%.1f s; the proxy accepted no "
                        "new connection: %s): %s\n%s" % (
                            recovered - healed,
                            proxy.accepted == accepted, reply.raw,
                            dovecot.log_text()[-1500:]))
        self.assertRefused(harness.auth_client_login(dovecot.auth_socket,
                                                     *BOB_INFO), "bob/info")
        self.assertAuthAlive(dovecot, pid)

    def test_unreachable_directory_host_does_not_stall_other_logins(self):
        # connect() to this port hangs (SYNs dropped), like a directory
        # host that is powered off or firewalled. The plugin's logins fail
        # temporarily; logins that do not need it (here: the site's LDAP
        # passdb) must not wait behind its connect attempt.
        slapd = start_slapd(self)
        unreachable = stall_proxy.UnreachablePort()
        self.addCleanup(unreachable.close)
        dovecot = start_dovecot(self, unreachable.uri, slapd.uri,
                                ldap_timeout=LDAP_TIMEOUT)
        pid = auth_pid(dovecot)
        baseline = plain_login_seconds(dovecot)
        limit = stall_limit(dovecot, baseline)
        plain, plain_took, replies, took = plain_login_while(
            dovecot, [ALICE_INFO], lambda: syn_sent(unreachable.port) > 0)
        self.assertIsNotNone(replies, "the composite login never answered")
        self.assertTemporary(replies[0], ALICE_INFO[0])
        self.assertLess(took, limit, "the composite login failed after "
                        "%.2f s (ldap_timeout %d s)" % (took, LDAP_TIMEOUT))
        self.assertTrue(plain.ok, plain.raw)
        log("unreachable host, ldap_timeout=%d: composite login temporary "
            "failure after %.2f s (limit %.2f s); a plain login meanwhile "
            "took %.3f s (baseline %.3f s)", LDAP_TIMEOUT, took, limit,
            plain_took, baseline)
        self.assertAuthAlive(dovecot, pid)
        self.assertLess(plain_took, plain_limit(baseline),
                        "the whole auth process stalled for %.2f s (a plain "
                        "login takes %.3f s here) while the plugin connected "
                        "to an unreachable directory" % (plain_took, baseline))

    def test_stalled_tls_handshake_does_not_stall_other_logins(self):
        # an ldaps:// server that accepts TCP and never answers the TLS
        # ClientHello: libldap's handshake blocks until its network
        # timeout. It runs on a thread of its own (ldap-job.c), so the
        # auth process serves the site's logins meanwhile.
        slapd = start_slapd(self)
        proxy = start_proxy(self)      # accepts, never answers
        dovecot = start_dovecot(self, proxy.uri.replace("ldap://",
                                                        "ldaps://"),
                                slapd.uri, ldap_timeout=LDAP_TIMEOUT)
        pid = auth_pid(dovecot)
        baseline = plain_login_seconds(dovecot)
        limit = stall_limit(dovecot, baseline)
        accepted = proxy.accepted
        plain, plain_took, replies, took = plain_login_while(
            dovecot, [ALICE_INFO], lambda: proxy.accepted > accepted)
        self.assertIsNotNone(replies, "the composite login never answered")
        self.assertTemporary(replies[0], ALICE_INFO[0])
        self.assertLess(took, limit, "the composite login failed after "
                        "%.2f s (ldap_timeout %d s)" % (took, LDAP_TIMEOUT))
        self.assertTrue(plain.ok, plain.raw)
        log("stalled TLS handshake, ldap_timeout=%d: composite login "
            "temporary failure after %.2f s (limit %.2f s); a plain login "
            "meanwhile took %.3f s (baseline %.3f s)", LDAP_TIMEOUT, took,
            limit, plain_took, baseline)
        self.assertAuthAlive(dovecot, pid)
        self.assertLess(plain_took, plain_limit(baseline),
                        "the auth process stalled for %.2f s (a plain login "
                        "takes %.3f s here) behind a TLS handshake"
                        % (plain_took, baseline))


# --- hostile input ----------------------------------------------------------------

# (name, authzid, user, password, expect, why)
#   expect "plugin": reaches the plugin, which must log a reason (why: a
#     regex that reason must match, case-insensitive);
#   "dovecot": Dovecot refuses it before any passdb (why: its log line);
#   "not-info": no separator, so not a composite login: the site's passdb
#     may do what it likes, but it must never open info@example.com.
# The passwords are the right ones where that makes an injection
# dangerous: e.g. "al*ce@..." unescaped would match alice and grant info.
LONG_PASSWORD = "Lp-" + "0123456789abcdef" * 640          # 10 kB
HOSTILE = [
    # '*' where a filter would take it as a wildcard
    ("star_in_person_address", "", "al*ce@example.com/info@example.com",
     ALICE_PW, "plugin", r"person unknown|denied"),
    ("star_in_person_uid", "", "al*ce/info@example.com", ALICE_PW,
     "plugin", r"person unknown|denied"),
    ("star_in_target", "", "alice@example.com/inf*@example.com", ALICE_PW,
     "plugin", r"target unknown|denied"),
    ("target_is_star", "", "alice@example.com/*", ALICE_PW, "plugin",
     r"target unknown|denied"),
    ("both_parts_star", "", "*/*", ALICE_PW, "plugin", r"unknown|denied"),
    # '(' ')' that would add filter components
    ("parens_in_person", "", "x)(uid=alice/info@example.com", ALICE_PW,
     "plugin", r"person unknown|denied"),
    ("parens_in_target_presence", "",
     "alice@example.com/info@example.com)(uid=*", ALICE_PW, "plugin",
     r"target unknown|denied"),
    ("parens_in_target_or", "",
     "alice@example.com/*)(mailPrimaryAddress=info@example.com", ALICE_PW,
     "plugin", r"target unknown|denied"),
    # '\' that would smuggle in an escape (\40 is '@')
    ("backslash_escape_in_person", "",
     "alice\\40example.com/info@example.com", ALICE_PW, "plugin",
     r"person unknown|denied"),
    ("backslash_escape_in_target", "",
     "alice@example.com/info\\40example.com", ALICE_PW, "plugin",
     r"target unknown|denied"),
    ("trailing_backslash_in_person", "",
     "alice@example.com\\/info@example.com", ALICE_PW, "plugin",
     r"person unknown|denied"),
    # a real person whose address is full of specials: found exactly,
    # then refused because she is no member
    ("specials_person_found_exactly", "",
     "a(b*c)@example.com/info@example.com", harness.PASSWORDS["alice2"],
     "plugin", r"denied: a\(b\*c\)@example\.com"),
    # SASL authzid (the master passdb path)
    ("star_in_authzid", "inf*@example.com", "alice@example.com", ALICE_PW,
     "plugin", r"target unknown|denied"),
    ("parens_in_authzid", "info@example.com)(uid=*", "alice@example.com",
     ALICE_PW, "plugin", r"target unknown|denied"),
    # control bytes (a NUL cannot be in a PLAIN username: it separates
    # the fields; see nul_in_password)
    ("control_soh_in_person", "", "ali\x01ce@example.com/info@example.com",
     ALICE_PW, "plugin", r"control|non-printable"),
    ("tab_in_person", "", "alice@example.com\t/info@example.com", ALICE_PW,
     "plugin", r"control|non-printable"),
    ("escape_in_target", "", "alice@example.com/info\x1b[0m@example.com",
     ALICE_PW, "plugin", r"control|non-printable"),
    ("delete_in_target", "", "alice@example.com/info\x7f@example.com",
     ALICE_PW, "plugin", r"control|non-printable"),
    ("newline_in_target", "", "alice@example.com/info@example.com\nx",
     ALICE_PW, "plugin", r"control|non-printable"),
    ("space_in_person", "", "alice@example.com /info@example.com",
     ALICE_PW, "plugin", r"space|control|non-printable"),
    ("nul_in_password", "", "alice@example.com/info@example.com",
     ALICE_PW + "\0x", "dovecot", r"invalid input"),
    # length
    ("login_600_bytes", "", "a" * 300 + "/" + "b" * 299, ALICE_PW,
     "plugin", r"long"),
    ("person_part_300_bytes", "", "a" * 300 + "/info@example.com",
     ALICE_PW, "plugin", r"long"),
    ("login_10_kB", "", "a" * 5000 + "/" + "b" * 5000, ALICE_PW, "plugin",
     r"long"),
    ("password_10_kB", "", "alice@example.com/info@example.com",
     LONG_PASSWORD, "plugin", r"password|credentials"),
    # encoding
    ("invalid_utf8_in_person", "", b"al\xffce@example.com/info@example.com",
     ALICE_PW, "plugin", r"utf-?8|encoding"),
    ("truncated_utf8_in_target", "",
     b"alice@example.com/info\xc3(@example.com", ALICE_PW, "plugin",
     r"utf-?8|encoding"),
    ("utf16_surrogate_in_target", "",
     b"alice@example.com/info\xed\xa0\x80@example.com", ALICE_PW, "plugin",
     r"utf-?8|encoding"),
    ("overlong_utf8_slash_is_no_separator", "",
     b"alice@example.com\xc0\xafinfo@example.com", ALICE_PW, "not-info",
     None),
    # empty parts and separators
    ("empty_person_part", "", "/info@example.com", ALICE_PW, "plugin",
     r"empty"),
    ("empty_target_part", "", "alice@example.com/", ALICE_PW, "plugin",
     r"empty"),
    ("separator_alone", "", "/", ALICE_PW, "plugin", r"empty"),
    ("star_separator_alone", "", "*", ALICE_PW, "plugin", r"empty"),
    ("three_parts", "", "a/b/c", ALICE_PW, "plugin",
     r"separator|more than once"),
    ("double_slash", "", "alice@example.com//info@example.com", ALICE_PW,
     "plugin", r"separator|more than once|empty"),
    ("repeated_target", "",
     "alice@example.com/info@example.com/info@example.com", ALICE_PW,
     "plugin", r"separator|more than once"),
    ("stars_then_slash", "", "a*b*c/d", ALICE_PW, "plugin",
     r"unknown|denied"),
    ("both_separators", "", "alice@example.com*info@example.com/x",
     ALICE_PW, "plugin", r"unknown|denied|separator"),
    ("empty_password", "", "alice@example.com/info@example.com", "",
     "plugin", r"empty password"),
]


class HostileInputTest(FaultTestCase):
    """Every hostile login of HOSTILE, pipelined once, with
    `auth_username_chars =` so that all of it reaches the plugin."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slapd = LoggingSlapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(cls.slapd.uri),
            ldap_uri=cls.slapd.uri,
            # empty: Dovecot allows every character, so that '(' ')' '\'
            # and control bytes reach the plugin instead of being refused
            # by Dovecot (HostileInputDefaultCharsTest covers that)
            extra_conf="auth_username_chars =\n")
        cls.addClassCleanup(cls.dovecot.cleanup)
        assert harness.auth_client_login(cls.dovecot.auth_socket,
                                         *ALICE_INFO).ok
        cls.pid = auth_pid(cls.dovecot)
        dovecot_mark = cls.dovecot.log_size()
        cls.slapd_mark = cls.slapd.log_size()
        started = time.monotonic()
        replies = raw_auth_many(cls.dovecot.auth_socket, [
            dict(authzid=authzid, user=user, password=password,
                 session="hostile%02d" % i)
            for i, (_, authzid, user, password, _, _) in enumerate(HOSTILE)])
        cls.batch_took = time.monotonic() - started
        # once each request's own reason line is written (not just any
        # line of it: Dovecot's log process may still be writing)
        cls.log_text = wait_log(cls.dovecot, dovecot_mark, lambda text: all(
            reason_logged(text, "hostile%02d" % i, case[4], case[5])
            for i, case in enumerate(HOSTILE) if case[4] != "not-info"),
            harness.PATIENCE)
        cls.replies = dict(zip((case[0] for case in HOSTILE), replies))

    def lines_of(self, name):
        index = [case[0] for case in HOSTILE].index(name)
        tag = "<hostile%02d>" % index
        return [line for line in self.log_text.splitlines() if tag in line]

    def check_cases(self, names):
        """Each named case refused (not temporary) with its reason."""
        cases = {case[0]: case for case in HOSTILE}
        for name in names:
            with self.subTest(name):
                _, _, user, _, expect, why = cases[name]
                reply = self.replies[name]
                if expect == "not-info":
                    self.assertFalse(reply.temp, reply.raw)
                    self.assertNotEqual(reply.fields.get("user"),
                                        "info@example.com", reply.raw)
                    continue
                self.assertRefused(reply, name)
                lines = self.lines_of(name)
                if expect == "plugin":
                    reasons = [line for line in lines
                               if PLUGIN_REASON_RE.search(line)]
                    self.assertTrue(reasons, "no plugin reason logged for "
                                    "%s; its lines:\n%s" % (
                                        name, "\n".join(lines)))
                    self.assertTrue(
                        any(re.search(why, line, re.I) for line in reasons),
                        "%s: reason does not match /%s/:\n%s" % (
                            name, why, "\n".join(reasons)))
                else:
                    self.assertTrue(any(re.search(why, line, re.I)
                                        for line in lines),
                                    "%s: Dovecot logged no /%s/:\n%s" % (
                                        name, why, "\n".join(lines)))

    def test_no_hostile_login_is_granted_or_fails_temporarily(self):
        log("%d hostile logins answered in %.2f s", len(HOSTILE),
            self.batch_took)
        granted = [name for name, r in self.replies.items()
                   if r.ok and r.fields.get("user") == "info@example.com"]
        self.assertEqual(granted, [])
        temp = [name for name, r in self.replies.items() if r.temp]
        self.assertEqual(temp, [])

    def test_filter_metacharacters_are_refused_with_reason(self):
        self.check_cases([case[0] for case in HOSTILE[:14]])

    def test_control_characters_and_nul_are_refused_with_reason(self):
        self.check_cases(["control_soh_in_person", "tab_in_person",
                          "escape_in_target", "delete_in_target",
                          "newline_in_target", "space_in_person",
                          "nul_in_password"])

    def test_overlong_logins_and_passwords_are_refused_with_reason(self):
        self.check_cases(["login_600_bytes", "person_part_300_bytes",
                          "login_10_kB", "password_10_kB"])

    def test_invalid_utf8_is_refused_and_overlong_slash_is_no_separator(self):
        self.check_cases(["invalid_utf8_in_person",
                          "truncated_utf8_in_target",
                          "utf16_surrogate_in_target",
                          "overlong_utf8_slash_is_no_separator"])

    def test_empty_parts_and_repeated_separators_are_refused_with_reason(self):
        self.check_cases(["empty_person_part", "empty_target_part",
                          "separator_alone", "star_separator_alone",
                          "three_parts", "double_slash", "repeated_target",
                          "stars_then_slash", "both_separators"])

    def test_empty_password_is_refused_with_reason(self):
        self.check_cases(["empty_password"])

    def test_person_with_specials_in_address_is_found_exactly(self):
        # escaping must keep the value intact: she is found (and refused
        # as no member), not "unknown"
        lines = self.lines_of("specials_person_found_exactly")
        self.assertFalse(any("person unknown" in line for line in lines),
                         "\n".join(lines))

    def test_directory_is_only_asked_escaped_filters(self):
        filters = self.slapd.filters(self.slapd_mark)
        self.assertTrue(filters, "slapd logged no search (stats logging?)")
        lowered = [f.lower() for f in filters]
        # what is left of each filter without slapd's \XX escapes: an
        # injected '(' ')' '*' '\' can only be there if it was not escaped
        bare = [re.sub(r"\\[0-9a-f]{2}", "", f) for f in lowered]
        # the templates have no wildcard: any '*' came from a client
        wild = [f for f in filters if "*" in f]
        self.assertEqual(wild, [], "slapd was asked wildcard filters")
        for name, authzid, user, _, expect, _ in HOSTILE[:14]:
            parts = [authzid] if authzid else user.split("/")
            for part in parts:
                if not any(c in part for c in "*()\\"):
                    continue
                with self.subTest(name=name, part=part):
                    self.assertFalse(
                        any(part.lower() in f for f in bare),
                        "%r reached slapd unescaped" % part)
                    self.assertTrue(
                        any(slapd_escaped(part).lower() in f
                            for f in lowered),
                        "%r never reached slapd as one escaped value "
                        "(%s); filters:\n%s" % (part, slapd_escaped(part),
                                                "\n".join(filters)))

    def test_imap_logins_with_metacharacters_are_refused(self):
        logins = ["al*ce@example.com/info@example.com",
                  "x)(uid=alice/info@example.com",
                  "alice\\40example.com/info@example.com"]
        errors = {}

        def login(user):
            try:
                conn = harness.imap_login(self.dovecot.imap_port, user,
                                          ALICE_PW)
            except imaplib.IMAP4.error as e:
                errors[user] = str(e)
            else:
                errors[user] = "LOGGED IN"
                conn.logout()

        # in parallel: each failure waits auth_failure_delay
        threads = [threading.Thread(target=login, args=(u,), daemon=True)
                   for u in logins]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for user in logins:
            self.assertIn(user, errors, "no IMAP answer for %s" % user)
            self.assertIn("AUTHENTICATIONFAILED", errors[user], user)

    def test_auth_process_survives_and_correct_login_works_afterwards(self):
        self.assertAuthAlive(self.dovecot, self.pid)
        reply = harness.auth_client_login(self.dovecot.auth_socket,
                                          *ALICE_INFO)
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "info@example.com")

    def test_no_password_in_logs(self):
        secrets = fixture_passwords() | {LONG_PASSWORD}
        dovecot_log = self.dovecot.log_text()
        slapd_log = self.slapd.log_text()
        for secret in sorted(secrets):
            self.assertNotIn(secret, dovecot_log)
            self.assertNotIn(secret, slapd_log)


class HostileInputDefaultCharsTest(FaultTestCase):
    """With dovecot-example.conf's auth_username_chars ('/' and '*' added
    to Dovecot's default), Dovecot refuses '(' ')' '\\', control bytes and
    non-ASCII before any passdb runs; '*' reaches the plugin. Either way:
    refused with a reason, never granted, nothing unescaped in slapd."""

    CASES = [
        ("al*ce@example.com/info@example.com", "plugin"),
        ("alice@example.com/inf*@example.com", "plugin"),
        ("*/*", "plugin"),
        ("x)(uid=alice/info@example.com", "dovecot"),
        ("alice\\40example.com/info@example.com", "dovecot"),
        ("ali\x01ce@example.com/info@example.com", "dovecot"),
        (b"al\xffce@example.com/info@example.com", "dovecot"),
    ]

    def test_hostile_logins_are_refused_by_dovecot_or_the_plugin(self):
        slapd = start_slapd(self)
        dovecot = start_dovecot(self, slapd.uri, slapd.uri)
        pid = auth_pid(dovecot)
        mark, slapd_mark = dovecot.log_size(), slapd.log_size()
        replies = raw_auth_many(dovecot.auth_socket, [
            dict(user=user, password=ALICE_PW, session="dflt%02d" % i)
            for i, (user, _) in enumerate(self.CASES)])
        text = wait_log(dovecot, mark, lambda text: all(
            reason_logged(text, "dflt%02d" % i, where,
                          "disallowed by auth_username_chars")
            for i, (_, where) in enumerate(self.CASES)), harness.PATIENCE)
        for i, ((user, where), reply) in enumerate(zip(self.CASES, replies)):
            with self.subTest(user=user):
                self.assertRefused(reply, repr(user))
                lines = [line for line in text.splitlines()
                         if "<dflt%02d>" % i in line]
                if where == "plugin":
                    self.assertTrue(any(PLUGIN_REASON_RE.search(line)
                                        for line in lines), "\n".join(lines))
                else:
                    self.assertTrue(any("disallowed by auth_username_chars"
                                        in line for line in lines),
                                    "\n".join(lines))
        self.assertEqual([f for f in slapd.filters(slapd_mark) if "*" in f],
                         [])
        self.assertAuthAlive(dovecot, pid)
        self.assertTrue(harness.auth_client_login(dovecot.auth_socket,
                                                  *ALICE_INFO).ok)


# --- empty password -----------------------------------------------------------------

NOPASS_UID = "nopass-faults"
NOPASS_DN = "uid=%s,cn=users,%s" % (NOPASS_UID, harness.BASE_DN)
NOPASS_MAIL = "nopass.faults@example.com"


class EmptyPasswordTest(FaultTestCase):
    """A member of info without userPassword, added at run time, against a
    slapd that treats a DN with an empty password as an anonymous bind
    that *succeeds*: no password, empty or not, may open info."""

    LOGINS = [
        # (name, authzid, user, password)
        ("nopass_empty", "", NOPASS_MAIL + "/info@example.com", ""),
        ("nopass_uid_empty", "", NOPASS_UID + "/info@example.com", ""),
        ("nopass_star_empty", "", NOPASS_MAIL + "*info@example.com", ""),
        ("nopass_any", "", NOPASS_MAIL + "/info@example.com", "anything"),
        ("nopass_other_persons_password", "",
         NOPASS_MAIL + "/info@example.com", ALICE_PW),
        ("nopass_authzid_empty", "info@example.com", NOPASS_MAIL, ""),
        ("nopass_authzid_any", "info@example.com", NOPASS_MAIL, "anything"),
        ("member_with_password_empty", "",
         "alice@example.com/info@example.com", ""),
        ("member_with_password_authzid_empty", "info@example.com",
         "alice@example.com", ""),
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slapd = LoggingSlapd(allow_empty_password_binds=True)
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.slapd.modify(f"""dn: {NOPASS_DN}
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: shadowAccount
objectClass: univentionMail
uid: {NOPASS_UID}
cn: No Password
sn: Password
uidNumber: 2901
gidNumber: 5001
homeDirectory: /home/{NOPASS_UID}
mailPrimaryAddress: {NOPASS_MAIL}

dn: cn=info,cn=functional_accounts,cn=open-xchange,{harness.BASE_DN}
changetype: modify
add: uniqueMember
uniqueMember: {NOPASS_DN}
-
""")
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(cls.slapd.uri),
            ldap_uri=cls.slapd.uri)
        cls.addClassCleanup(cls.dovecot.cleanup)
        mark = cls.dovecot.log_size()
        cls.slapd_mark = cls.slapd.log_size()
        replies = raw_auth_many(cls.dovecot.auth_socket, [
            dict(authzid=authzid, user=user, password=password,
                 session="empty%02d" % i)
            for i, (_, authzid, user, password) in enumerate(cls.LOGINS)])
        cls.replies = dict(zip((login[0] for login in cls.LOGINS), replies))
        cls.log_text = wait_log(cls.dovecot, mark, lambda text: all(
            reason_logged(text, "empty%02d" % i, "plugin")
            for i in range(len(cls.LOGINS))), harness.PATIENCE)
        cls.binds = cls.slapd.bind_results(cls.slapd_mark)

    def check(self, names):
        index = [login[0] for login in self.LOGINS]
        for name in names:
            with self.subTest(name):
                self.assertRefused(self.replies[name], name)
                tag = "<empty%02d>" % index.index(name)
                lines = [line for line in self.log_text.splitlines()
                         if tag in line]
                self.assertTrue(any(PLUGIN_REASON_RE.search(line)
                                    for line in lines),
                                "no reason logged for %s:\n%s" % (
                                    name, "\n".join(lines)))

    def test_directory_accepts_dn_with_empty_password_as_anonymous(self):
        # the precondition that makes this class meaningful
        r = subprocess.run(["ldapwhoami", "-x", "-H", self.slapd.uri, "-D",
                            NOPASS_DN, "-w", ""], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("anonymous", r.stdout)
        rc, out = self.slapd.ldapsearch("(uid=%s)" % NOPASS_UID, "dn")
        self.assertIn(NOPASS_DN, out)

    def test_member_without_password_is_refused_with_empty_password(self):
        self.check(["nopass_empty", "nopass_uid_empty", "nopass_star_empty",
                    "nopass_authzid_empty"])

    def test_member_without_password_is_refused_with_any_password(self):
        self.check(["nopass_any", "nopass_other_persons_password",
                    "nopass_authzid_any"])

    def test_empty_password_never_opens_a_members_target(self):
        self.check(["member_with_password_empty",
                    "member_with_password_authzid_empty"])

    def test_directory_never_granted_a_bind_for_these_logins(self):
        self.assertTrue(self.binds, "slapd logged no bind (stats "
                        "logging?)")
        granted = [(dn, err) for dn, err in self.binds
                   if err == 0 and dn.lower() != harness.SERVICE_DN.lower()]
        self.assertEqual(granted, [], "slapd accepted a person's bind")


# --- secrets ---------------------------------------------------------------------------

WRONG_PW = "Wr0ng-Pa55word-faults"
UNICODE_PW = "p\u00e4ssw\u00f6rd-faults-\u00df"
SPACE_PW = "  spaced pass-faults  "


class SecretsNotLoggedTest(FaultTestCase):
    """Good and bad logins with auth_debug=yes (auth_debug_passwords and
    auth_verbose_passwords off, as harness.py writes them); then no
    password of the run is in Dovecot's log or in slapd's stats log."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slapd = LoggingSlapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(cls.slapd.uri),
            ldap_uri=cls.slapd.uri, auth_debug=True)
        cls.addClassCleanup(cls.dovecot.cleanup)
        pw = harness.PASSWORDS
        good = [ALICE_INFO, CAROL_INFO, ("alice@example.com", ALICE_PW),
                ("alice/info@example.com", ALICE_PW)]
        bad = [BOB_INFO, ("alice@example.com/info@example.com", WRONG_PW),
               ("alice@example.com/info@example.com", UNICODE_PW),
               ("alice@example.com/info@example.com", SPACE_PW),
               ("alice@example.com/info@example.com", LONG_PASSWORD),
               ("dave@example.com/info@example.com", pw["dave"]),
               ("erin@example.com/info@example.com", pw["erin"]),
               ("nobody@example.com/info@example.com", WRONG_PW),
               ("alice@example.com", WRONG_PW),
               ("bob@example.com", UNICODE_PW)]
        requests = [dict(user=u, password=p) for u, p in good + bad]
        requests += [dict(user="alice@example.com", password=ALICE_PW,
                          authzid="info@example.com"),
                     dict(user="bob@example.com", password=BOB_PW,
                          authzid="info@example.com")]
        # every request tagged, so that the log is read once each one's
        # own last line is written (not after a guessed pause)
        tags = ["secret%02d" % i for i in range(len(requests))]
        for req, tag in zip(requests, tags):
            req["extra"] = ("session=" + tag,)
        cls.replies = harness.auth_client_many(cls.dovecot.auth_socket,
                                               requests)
        cls.good_count = len(good)
        conn = harness.imap_login(cls.dovecot.imap_port, *ALICE_INFO)
        conn.logout()
        tags.append("127.0.0.1")        # the IMAP login's rip, its alone
        rc, cls.doveadm_out = harness.doveadm_auth_test(
            cls.dovecot.conf_path, *ALICE_INFO, "-x", "session=secretadm",
            command="test")
        tags.append("secretadm")
        cls.secrets = fixture_passwords() | {
            WRONG_PW, UNICODE_PW, SPACE_PW.strip(), LONG_PASSWORD}
        cls.plain_resps = [base64.b64encode(
            ("\0%s\0%s" % (u, p)).encode()).decode() for u, p in good + bad]
        text = wait_log(cls.dovecot, 0, lambda text: all(
            any("Auth request finished" in line
                for line in harness.request_lines(text, tag))
            for tag in tags), harness.PATIENCE)
        assert all(any("Auth request finished" in line
                       for line in harness.request_lines(text, tag))
                   for tag in tags), "a login's log lines are missing"

    def test_logins_were_answered_as_expected(self):
        ok = [r.ok for r in self.replies]
        self.assertEqual(ok[:self.good_count], [True] * self.good_count,
                         [r.raw for r in self.replies])
        self.assertEqual(ok[self.good_count:-2],
                         [False] * (len(ok) - self.good_count - 2))
        self.assertEqual(ok[-2:], [True, False])

    def test_dovecot_log_has_no_password(self):
        text = self.dovecot.log_text()
        self.assertIn("Debug:", text, "auth_debug lines missing: the test "
                      "would prove nothing")
        for secret in sorted(self.secrets):
            self.assertNotIn(secret, text)
        for resp in self.plain_resps:
            self.assertNotIn(resp, text, "a SASL PLAIN response (base64) "
                             "is in the log")

    def test_slapd_log_has_no_password(self):
        text = self.slapd.log_text()
        self.assertIn(" BIND dn=", text, "slapd logged no binds: the test "
                      "would prove nothing")
        for secret in sorted(self.secrets):
            self.assertNotIn(secret, text)

    def test_doveadm_auth_test_output_has_no_password(self):
        for secret in sorted(self.secrets):
            self.assertNotIn(secret, self.doveadm_out)


if __name__ == "__main__":
    unittest.main()
