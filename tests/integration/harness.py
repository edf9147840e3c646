"""Integration-test harness: real slapd and real Dovecot on 127.0.0.1.

What it starts:
  Slapd    `slapd -d 0 -f slapd.conf -h ldap://127.0.0.1:PORT/` (as user
           openldap where it exists), an mdb database loaded with slapadd
           from fixtures/directory.ldif and the schemas of schema/.
  Dovecot  `dovecot -F -c dovecot.conf`: IMAP and POP3 on free 127.0.0.1
           ports, an auth-client socket for fast auth tests, and the
           project's dovecot-example.conf included (functional passdb/userdb
           first, then the site's LDAP passdb/userdb of site-ldap.conf.ext).

Where files go: every server keeps everything (config, database, sockets,
logs, mail) under its own tempfile.mkdtemp() directory (/tmp/fa-slapd-*,
/tmp/fa-dovecot-*), printed in errors; set FA_KEEP_TMP=1 to keep them
after the run. Servers listen on 127.0.0.1 only and are stopped by PID in
cleanup(), in context-manager exit and at interpreter exit (atexit), also
when a test fails. Nothing is installed or changed outside the temp dirs.

Used by test_login.py, and meant for the demo script and benchmarks too.
Debian 12's /usr/bin/python3 standard library only; run as root.
"""

import atexit
import base64
import grp
import imaplib
import itertools
import os
import poplib
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

SYSTEM_SCHEMA_DIR = "/etc/ldap/schema"
TEST_SCHEMA = os.path.join(HERE, "schema", "ucs-test.schema")
SCHEMA_FILES = [os.path.join(SYSTEM_SCHEMA_DIR, name + ".schema")
                for name in ("core", "cosine", "inetorgperson", "nis")
                ] + [TEST_SCHEMA]
FIXTURE_LDIF = os.path.join(HERE, "fixtures", "directory.ldif")


def _dovecot_version():
    """(major, minor) of the installed Dovecot, e.g. (2, 4)."""
    try:
        out = subprocess.run(["dovecot", "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return (0, 0)
    m = re.match(r"(\d+)\.(\d+)", out.strip())
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


# The Dovecot under test and the config dialect the harness writes for it:
# 2.3 (Debian 12) or 2.4 (Debian 13). Tests branch on DOVECOT24 only where
# the two dialects differ; a test that cannot run on one says why.
DOVECOT_VERSION = _dovecot_version()
DOVECOT24 = DOVECOT_VERSION >= (2, 4)


def dialect(conf23, conf24):
    """The text for the Dovecot under test: conf23 on 2.3, conf24 on 2.4
    (config snippets, expected userdb fields, log wording)."""
    return conf24 if DOVECOT24 else conf23


EXAMPLE_CONF = os.path.join(TOP, "dovecot24-example.conf" if DOVECOT24
                            else "dovecot-example.conf")
PLUGIN_CONF_EXAMPLE = os.path.join(TOP, "functional-accounts.conf.example")
RIGHTS_ACL_FILE = os.path.join(TOP, "functional-rights.acl")
SITE_LDAP_TEMPLATE = os.path.join(HERE, "site-ldap24.conf.ext" if DOVECOT24
                                  else "site-ldap.conf.ext")
MODULE_PATH = "/usr/lib/dovecot/modules/auth/libauthdb_functional.so"

BASE_DN = "dc=example,dc=com"
ADMIN_DN = "cn=admin," + BASE_DN
ADMIN_PASSWORD = "admin-secret"
SERVICE_DN = "cn=dovecot,cn=users," + BASE_DN
SERVICE_PASSWORD = "service-secret"
# Every password of the fixture (tests check none of them reaches a log).
PASSWORDS = {
    "alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret",
    "dave": "dave-secret", "erin": "erin-secret", "alice2": "special-secret",
    "dovecot": SERVICE_PASSWORD, "admin": ADMIN_PASSWORD,
}

KEEP_TMP = bool(os.environ.get("FA_KEEP_TMP"))
VALGRIND = bool(os.environ.get("FA_VALGRIND"))


def wait_log(server, since, done, timeout=5):
    """The server's log from `since`, once done(text) holds or after
    timeout (Dovecot's log process writes asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        text = server.log_text(since=since)
        if done(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


# --- time: bounds measured in the same run ------------------------------------
#
# Under valgrind (FA_VALGRIND=1) and on a busy machine everything is slower,
# by a factor nobody can guess. A test that bounds how long something may
# take compares it with a reference measured in the same run (a baseline
# login, the configured ldap_timeout / auth_failure_delay), never with a
# fixed number of seconds; one that needs two things close together in
# time measures that they were, and retries a bounded number of times.

# How long to wait for something that must happen (a request's own log
# lines, a line logged at startup) before giving up. Only a give-up limit,
# never a bound a test asserts: a passing run does not wait it out.
PATIENCE = 60


def timed(fn, *args, **kw):
    """(fn(*args, **kw), the seconds it took)."""
    started = time.monotonic()
    result = fn(*args, **kw)
    return result, time.monotonic() - started


def baseline_seconds(fn, runs=3):
    """The slowest of `runs` calls of fn(): what such an operation takes
    on this machine right now (valgrind and other load included), the
    reference for a time bound of the same run. The slowest, not the
    fastest: it also holds the scheduling noise of this moment."""
    return max(timed(fn)[1] for _ in range(max(1, runs)))


def timing_tries(trial, attempts=3):
    """Run trial() -> (seconds, limit), each time measuring the thing
    and its reference afresh, until seconds < limit or `attempts` tries
    were made; returns every (seconds, limit). A moment of load beside
    the run can spoil one try; a real slowness spoils each of them, so
    assert on the last one (and show them all)."""
    tries = []
    for _ in range(max(1, attempts)):
        tries.append(trial())
        if tries[-1][0] < tries[-1][1]:
            break
    return tries


def format_tries(tries):
    """'1.23 s (limit 0.80 s), ...' for a failure message."""
    return ", ".join("%.2f s (limit %.2f s)" % t for t in tries)


def example_default(key, example_path=None):
    """The value functional-accounts.conf.example gives `key` (its
    `#key = value` line: the plugin's default), as a string, or None."""
    with open(example_path or PLUGIN_CONF_EXAMPLE) as f:
        m = re.search(r"^#?\s*%s\s*=\s*(.*?)\s*$" % re.escape(key), f.read(),
                      re.M)
    return m.group(1) if m else None


_rip_seq = itertools.count(random.randint(0, 1 << 16))


def unique_rip():
    """A remote IP (10.x.y.z) no other request of this process claims:
    pass it as rip= and find the request's own log lines with
    request_lines(). Not part of Dovecot's auth cache key."""
    n = next(_rip_seq)
    return "10.%d.%d.%d" % (n // (254 * 256) % 256, n // 254 % 256,
                            n % 254 + 1)


def request_lines(text, tag):
    """The log lines of the auth request that claimed `tag` as its rip or
    session: Dovecot puts both into the request's log prefix (2.3:
    "functional(user,RIP,<SESSION>): ...", 2.4: "auth(user,RIP,sasl:plain)
    <SESSION>: ..."), the audit line has rip=RIP."""
    t = re.escape(tag)
    pat = re.compile(r"[(,]<?%s>?[,)]|\)<%s>:|rip=%s\b" % (t, t, t))
    return [line for line in text.splitlines() if pat.search(line)]


def wait_request_log(server, since, tag, last, timeout=PATIENCE):
    """The log from `since` once the request tagged `tag` (rip or
    session) has logged a line containing `last` (with auth_debug e.g.
    "Auth request finished"): lines of other requests, which Dovecot's
    log process may write late, do not count."""
    return wait_log(server, since, lambda text: any(
        last in line for line in request_lines(text, tag)), timeout)


_ports_given = set()


def write_file(path, text, mode=0o644):
    """Write text to path and give it mode (whatever the umask)."""
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def require_module():
    """Skip the test (class) unless the module is installed; with
    FA_REQUIRE_MODULE=1 a missing module is a failure instead."""
    if not os.path.exists(MODULE_PATH):
        why = ("%s is not installed (run ./scripts/build.sh first)"
               % MODULE_PATH)
        if os.environ.get("FA_REQUIRE_MODULE"):
            raise AssertionError(why + " and FA_REQUIRE_MODULE is set")
        raise unittest.SkipTest(why + "; set FA_REQUIRE_MODULE=1 to make "
                                "this a failure")


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago and that this
    process has not handed out before: the kernel may offer the same free
    port to two calls in a row (seen: a Dovecot's IMAP and POP3 ports
    clashed, "duplicate listener"), before either is listened on."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            break
    _ports_given.add(port)
    return port


def _user_ids(name):
    """(uid, gid) of a system user, or None if it does not exist."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return None
    return pw.pw_uid, pw.pw_gid


def _chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def _wait_for(check, timeout, what, proc=None, log=None):
    """Poll check() until true; fail early if proc died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s: process exited with %s\n%s" % (
                what, proc.returncode, log() if log else ""))
        time.sleep(0.1)
    raise RuntimeError("%s: not ready after %ss\n%s" % (
        what, timeout, log() if log else ""))


def _make_tmpdir(tmpdir, prefix):
    if tmpdir is None:
        tmpdir = tempfile.mkdtemp(prefix=prefix)
    os.makedirs(tmpdir, exist_ok=True)
    # traversable (not listable) by the unprivileged server users
    os.chmod(tmpdir, 0o711)
    return tmpdir


def _listening(port):
    """Is a TCP socket listening on 127.0.0.1:port (from /proc/net/tcp)?"""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        return any(cols[1] == want and cols[3] == "0A"
                   for cols in (line.split() for line in f))


def _tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


# --- process bookkeeping: stop everything at exit ---------------------------

_LIVE = []


def _cleanup_all():
    for server in list(_LIVE):
        try:
            server.cleanup()
        except Exception as e:  # keep stopping the others
            print("harness: cleanup of %r failed: %s" % (server, e),
                  file=sys.stderr)


atexit.register(_cleanup_all)
if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    # a killed test run still stops its servers (via atexit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


class _Server:
    """Common part: a subprocess started in its own session, a tmpdir."""
    proc = None
    tmpdir = None
    _owns_tmpdir = False

    def _spawn(self, argv, out_path):
        with open(out_path, "ab") as out:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        if self not in _LIVE:
            _LIVE.append(self)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_size(self):
        """A mark for log_text(since=...)."""
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_text(self, since=0):
        """The server's log (Dovecot: auth, login, mail), from byte offset
        `since`."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _kill(self, timeout=10):
        """SIGTERM the PID we started, SIGKILL its process group if stuck."""
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)

    def cleanup(self):
        """stop() and remove the temp dir (kept with FA_KEEP_TMP=1)."""
        try:
            self.stop()
        finally:
            if self in _LIVE:
                _LIVE.remove(self)
            if self._owns_tmpdir and not KEEP_TMP and self.tmpdir:
                shutil.rmtree(self.tmpdir, ignore_errors=True)

    def detach(self):
        """Leave the server running after this process exits (the demo);
        its PID goes to tmpdir/pid for whoever stops it later."""
        if self in _LIVE:
            _LIVE.remove(self)
        with open(os.path.join(self.tmpdir, "pid"), "w") as f:
            f.write("%d\n" % self.proc.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


# --- TLS material (openssl CLI) ---------------------------------------------

TLS_NAMES = ("127.0.0.1", "localhost")


def _openssl(*args):
    r = subprocess.run(["openssl"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed (%s):\n%s" % (
            " ".join(args), r.returncode, r.stdout))


def rehash_ca_dir(directory):
    """<hash>.0 links for the certificates in directory (`openssl rehash`,
    what c_rehash does), as ldap_tls_ca_dir / TLS_CACERTDIR expect."""
    _openssl("rehash", directory)


def make_test_ca(directory, name="fa-test CA"):
    """A throwaway self-signed CA (EC P-256, valid 2 days) in directory:
    returns (cert_path, key_path). Each call makes an unrelated CA."""
    os.makedirs(directory, mode=0o755, exist_ok=True)
    cert = os.path.join(directory, "ca.pem")
    key = os.path.join(directory, "ca.key")
    _openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
             cert, "-days", "2", "-subj",
             "/O=dovecot-functional-auth tests/CN=%s %08x" % (
                 name, random.getrandbits(32)),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    os.chmod(cert, 0o644)
    return cert, key


def make_server_cert(ca_cert, ca_key, directory, names=TLS_NAMES):
    """A server certificate signed by the CA for names (IP addresses or DNS
    names; the first is also the CN): returns (cert_path, key_path); the
    key is mode 600 (Slapd hands its tmpdir to the openldap user)."""
    os.makedirs(directory, mode=0o755, exist_ok=True)
    cert = os.path.join(directory, "server.pem")
    key = os.path.join(directory, "server.key")
    csr = os.path.join(directory, "server.csr")
    ext = os.path.join(directory, "server.ext")
    san = ",".join(("IP:" if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*",
                                          n) else "DNS:") + n for n in names)
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=%s\n" % san)
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
             "-subj", "/CN=%s" % names[0])
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
             "-set_serial", str(random.getrandbits(63)), "-days", "2",
             "-extfile", ext, "-out", cert)
    os.remove(csr)
    os.remove(ext)
    os.chmod(cert, 0o644)
    os.chmod(key, 0o600)
    return cert, key


# --- slapd -------------------------------------------------------------------

class Slapd(_Server):
    """A private slapd with the test schema and fixture.

    Slapd(tmpdir=None, schema_files=SCHEMA_FILES, ldif=FIXTURE_LDIF,
          port=None, start=True, tls=False, tls_names=TLS_NAMES,
          extra_conf="")
    .uri, .port, .tmpdir, .log_path; .start(), .stop(), .cleanup(),
    .ldapsearch(filter, *attrs, bind_dn=None, password=None, base=BASE_DN),
    .ldapmodify(ldif) (as the rootdn)

    tls=True: a throwaway CA (make_test_ca) and a server certificate for
      tls_names (make_server_cert) under tmpdir/tls; slapd offers StartTLS
      on .uri and also listens on .ldaps_uri (.ldaps_port); .ca_file is the
      CA certificate (PEM), .ca_dir a directory holding it, hashed.
    extra_conf: lines added to slapd.conf's global section (e.g.
      "security simple_bind=128").
    """

    def __init__(self, tmpdir=None, schema_files=None, ldif=FIXTURE_LDIF,
                 port=None, start=True, tls=False, tls_names=None,
                 extra_conf=""):
        self._owns_tmpdir = tmpdir is None
        self.tmpdir = _make_tmpdir(tmpdir, "fa-slapd-")
        self.port = port or free_port()
        self.uri = "ldap://127.0.0.1:%d/" % self.port
        self.conf_path = os.path.join(self.tmpdir, "slapd.conf")
        self.db_dir = os.path.join(self.tmpdir, "db")
        self.log_path = os.path.join(self.tmpdir, "slapd.log")
        self.ids = _user_ids("openldap")
        self.tls = tls
        self.extra_conf = extra_conf
        self.ldaps_port = self.ldaps_uri = None
        self.ca_file = self.ca_dir = None
        try:
            if tls:
                self._make_tls(tls_names or TLS_NAMES)
            self._write_conf(schema_files or SCHEMA_FILES)
            self._load(ldif)
            if start:
                self.start()
        except BaseException:
            self.cleanup()
            raise

    def __repr__(self):
        return "Slapd(%s, %s)" % (self.uri, self.tmpdir)

    def _make_tls(self, names):
        tls_dir = os.path.join(self.tmpdir, "tls")
        self.ca_file, ca_key = make_test_ca(tls_dir)
        self.cert_file, self.key_file = make_server_cert(
            self.ca_file, ca_key, tls_dir, names)
        os.remove(ca_key)   # nobody signs anything else with it
        self.ca_dir = os.path.join(tls_dir, "cadir")
        os.makedirs(self.ca_dir)
        shutil.copyfile(self.ca_file, os.path.join(self.ca_dir, "ca.pem"))
        rehash_ca_dir(self.ca_dir)
        for root, dirs, files in os.walk(tls_dir):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
        self.ldaps_port = free_port()
        self.ldaps_uri = "ldaps://127.0.0.1:%d/" % self.ldaps_port

    def _tls_conf(self):
        if not self.tls:
            return ""
        return ("TLSCACertificateFile %s\nTLSCertificateFile %s\n"
                "TLSCertificateKeyFile %s\n"
                % (self.ca_file, self.cert_file, self.key_file))

    def _write_conf(self, schema_files):
        # private copies: slapd may read them after dropping to openldap,
        # and a fresh system's /etc/ldap need not be readable by it
        t = self.tmpdir
        os.makedirs(os.path.join(t, "schema"), exist_ok=True)
        copies = []
        for path in schema_files:
            copy = os.path.join(t, "schema", os.path.basename(path))
            shutil.copyfile(path, copy)
            copies.append(copy)
        includes = "".join("include %s\n" % p for p in copies)
        conf = f"""# slapd.conf written by harness.py (test directory, {self.uri})
{includes}
pidfile {t}/slapd.pid
argsfile {t}/slapd.args
loglevel 0
modulepath /usr/lib/ldap
moduleload back_mdb
{self._tls_conf()}{self.extra_conf and self.extra_conf + chr(10)}

database mdb
maxsize 104857600
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {self.db_dir}
index objectClass,uid,mailPrimaryAddress,uniqueMember,memberUid eq

# passwords are only usable for binding; everything else is readable by
# anyone (and explicitly by the Dovecot service account)
access to attrs=userPassword
	by anonymous auth
	by * none
access to *
	by dn.exact="{SERVICE_DN}" read
	by * read
"""
        with open(self.conf_path, "w") as f:
            f.write(conf)
        os.makedirs(self.db_dir, mode=0o700, exist_ok=True)

    def _load(self, ldif):
        r = subprocess.run(["slapadd", "-q", "-f", self.conf_path, "-l", ldif],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("slapadd %s failed (%s):\n%s" % (
                ldif, r.returncode, r.stdout))
        if self.ids:
            _chown_tree(self.tmpdir, *self.ids)

    def start(self):
        """Start (or restart) slapd on the same port and database."""
        if self.running():
            return
        argv = ["slapd", "-d", "0", "-f", self.conf_path, "-h",
                " ".join(u for u in (self.uri, self.ldaps_uri) if u)]
        if self.ids:
            argv += ["-u", "openldap", "-g", "openldap"]
        self._spawn(argv, self.log_path)
        _wait_for(lambda: self.ldapsearch("(objectClass=*)", "dn",
                                          scope="base")[0] == 0,
                  20, "slapd on %s (%s)" % (self.uri, self.tmpdir), self.proc,
                  lambda: _tail(self.log_path))

    def stop(self):
        self._kill()

    def ldapsearch(self, filt, *attrs, bind_dn=None, password=None,
                   base=BASE_DN, scope="sub"):
        """Run ldapsearch against this server; returns (rc, LDIF output)."""
        argv = ["ldapsearch", "-x", "-LLL", "-H", self.uri, "-o",
                "nettimeout=2", "-o", "ldif-wrap=no", "-b", base, "-s",
                scope]
        if bind_dn is not None:
            argv += ["-D", bind_dn, "-w", password]
        r = subprocess.run(argv + [filt] + list(attrs),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        return r.returncode, r.stdout

    def ldapmodify(self, ldif, bind_dn=ADMIN_DN, password=ADMIN_PASSWORD):
        """Run ldapmodify with `ldif` (changetype records) against this
        server, as the rootdn by default; returns (rc, output)."""
        argv = ["ldapmodify", "-x", "-H", self.uri, "-o", "nettimeout=2",
                "-D", bind_dn, "-w", password]
        r = subprocess.run(argv, input=ldif, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        return r.returncode, r.stdout


# --- Dovecot -----------------------------------------------------------------

def plugin_conf(example_path=PLUGIN_CONF_EXAMPLE, **settings):
    """functional-accounts.conf text: the example with `settings` set.

    Each key's line (`key = ...` or `#key = ...`) becomes `key = value`;
    every other line, comment and default stays as in the example. A key
    the example does not list is appended (the plugin then rejects it at
    startup, as it should). @NAME@ placeholders are filled by Dovecot().
    """
    with open(example_path) as f:
        text = f.read()
    for key, value in settings.items():
        value = str(value)
        if value != value.strip() or value == "":
            value = '"%s"' % value
        line = "%s = %s" % (key, value)
        pattern = re.compile(r"^#?\s*%s\s*=.*$" % re.escape(key), re.M)
        text, n = pattern.subn(lambda m: line, text, count=1)
        if n == 0:
            text += "\n" + line + "\n"
    return text


def fixture_plugin_conf(ldap_uri="@URI@", **settings):
    """Plugin config for the test directory: service bind, homes in the
    Dovecot temp dir, the mail user; extra settings override."""
    values = dict(ldap_uris=ldap_uri, ldap_base=BASE_DN,
                  ldap_bind_dn=SERVICE_DN,
                  ldap_bind_password=SERVICE_PASSWORD,
                  userdb_home="@VMAIL_DIR@/%d/%n",
                  userdb_uid="@MAIL_UID@", userdb_gid="@MAIL_GID@")
    values.update(settings)
    return plugin_conf(**values)


def _strip_plugin_blocks(text):
    """dovecot-example.conf without its `driver = functional` blocks
    (top-level `passdb {` / `userdb {` ... `}` blocks; values inside may
    hold braces such as %{login_user})."""
    out, block = [], None
    for line in text.splitlines(keepends=True):
        if block is None and re.match(r"(passdb|userdb)(\s+[\w-]+)?\s*\{\s*$",
                                      line):
            block = [line]
        elif block is not None:
            block.append(line)
            if line.rstrip() == "}":
                if not any(re.match(r"\s*driver\s*=\s*functional\b", b)
                           for b in block):
                    out.extend(block)
                block = None
        else:
            out.append(line)
    return "".join(out)


class Dovecot(_Server):
    """A private Dovecot including the project's dovecot-example.conf.

    Dovecot(tmpdir=None, example_conf=EXAMPLE_CONF, plugin_conf_text=None,
            site_ldap_text=None, ldap_uri=None, imap_port=None,
            pop3_port=None, with_plugin=True, auth_debug=False,
            auth_verbose=True, extra_conf="", mail_user=None, start=True)

    plugin_conf_text: functional-accounts.conf contents (default:
      fixture_plugin_conf()); site_ldap_text: the site LDAP args file
      (default: site-ldap.conf.ext). In both, in the example conf and in
      extra_conf (lines added at the end of dovecot.conf),
      @URI@ @BASE@ @BIND_DN@ @BIND_PW@ @VMAIL_DIR@ @MAIL_UID@ @MAIL_GID@
      @MAIL_USER@ @MAIL_GROUP@
      @TMPDIR@ are filled in; in the example conf the /etc/dovecot args
      paths, /var/vmail and the vmail user/group are replaced.
      with_plugin=False leaves out the functional passdb/userdb blocks.
    mail_user: owner of the mail files (default vmail if it exists, else
      nobody), with its primary group.
    Attributes: .conf_path .imap_port .pop3_port .auth_socket
      .userdb_socket .log_path .mail_dir .vmail_dir .uid .gid
    """

    def __init__(self, tmpdir=None, example_conf=EXAMPLE_CONF,
                 plugin_conf_text=None, site_ldap_text=None, ldap_uri=None,
                 imap_port=None, pop3_port=None, with_plugin=True,
                 auth_debug=False, auth_verbose=True, extra_conf="",
                 mail_user=None, start=True):
        self._owns_tmpdir = tmpdir is None
        self.tmpdir = t = _make_tmpdir(tmpdir, "fa-dovecot-")
        self.imap_port = imap_port or free_port()
        self.pop3_port = pop3_port or free_port()
        self.with_plugin = with_plugin
        self.conf_path = os.path.join(t, "dovecot.conf")
        self.log_path = os.path.join(t, "dovecot.log")
        self.stdout_path = os.path.join(t, "dovecot.stdout")
        self.auth_socket = os.path.join(t, "auth-client")
        self.userdb_socket = os.path.join(t, "auth-userdb")
        self.base_dir = os.path.join(t, "run")
        self.mail_dir = os.path.join(t, "mail")
        self.vmail_dir = os.path.join(t, "vmail")
        self.plugin_conf_path = os.path.join(t, "functional-accounts.conf")
        self.site_ldap_path = os.path.join(t, "site-ldap.conf.ext")

        if mail_user is None:
            mail_user = "vmail" if _user_ids("vmail") else "nobody"
        self.mail_user = mail_user
        self.uid, self.gid = _user_ids(mail_user)
        self.mail_group = grp.getgrgid(self.gid).gr_name
        for d in (self.mail_dir, self.vmail_dir):
            os.makedirs(d, exist_ok=True)
            os.chown(d, self.uid, self.gid)
        os.makedirs(os.path.join(t, "state"), exist_ok=True)

        self.subst = {
            "URI": ldap_uri or "ldap://127.0.0.1:389/",
            "BASE": BASE_DN, "BIND_DN": SERVICE_DN,
            "BIND_PW": SERVICE_PASSWORD, "VMAIL_DIR": self.vmail_dir,
            "MAIL_UID": str(self.uid), "MAIL_GID": str(self.gid),
            "MAIL_USER": mail_user, "MAIL_GROUP": self.mail_group,
            "TMPDIR": t,
        }
        if site_ldap_text is None:
            with open(SITE_LDAP_TEMPLATE) as f:
                site_ldap_text = f.read()
        self._write(self.site_ldap_path, self._fill(site_ldap_text), 0o640)
        if with_plugin:
            if plugin_conf_text is None:
                plugin_conf_text = fixture_plugin_conf()
            self._write(self.plugin_conf_path,
                        self._fill(plugin_conf_text), 0o640)
        self._write_example(example_conf)
        self._write_main_conf(auth_debug, auth_verbose, extra_conf)
        if start:
            try:
                self.start()
            except BaseException:
                self.cleanup()
                raise

    def __repr__(self):
        return "Dovecot(imap=%d, %s)" % (self.imap_port, self.tmpdir)

    def _fill(self, text):
        return re.sub(r"@([A-Z_]+)@",
                      lambda m: self.subst.get(m.group(1), m.group(0)), text)

    def _write(self, path, text, mode=0o644):
        write_file(path, text, mode)
        ids = _user_ids("dovecot")   # auth runs as default_internal_user
        if ids and mode & 0o040:
            os.chown(path, 0, ids[1])

    def _write_example(self, example_conf):
        with open(example_conf) as f:
            text = f.read()
        if not self.with_plugin:
            text = _strip_plugin_blocks(text)
        text = (text
                .replace("/etc/dovecot/functional-accounts.conf",
                         self.plugin_conf_path)
                .replace("/etc/dovecot/dovecot-ldap.conf.ext",
                         self.site_ldap_path)
                .replace("/etc/dovecot/functional-rights.acl",
                         RIGHTS_ACL_FILE)
                .replace("/var/vmail", self.vmail_dir))
        text = re.sub(r"^(\s*#?\s*mail_uid\s*=\s*)vmail\b",
                      r"\g<1>" + self.mail_user, text, flags=re.M)
        text = re.sub(r"^(\s*#?\s*mail_gid\s*=\s*)vmail\b",
                      r"\g<1>" + self.mail_group, text, flags=re.M)
        self.example_path = os.path.join(self.tmpdir, "dovecot-example.conf")
        self._write(self.example_path, self._fill(text))

    def _valgrind_conf(self):
        """With FA_VALGRIND=1 the auth process (and so the plugin) runs
        under valgrind; valgrind_errors() reads its reports."""
        if not VALGRIND:
            return ""
        # GDB=1: Dovecot keeps modules loaded so reports name our code
        return ("  executable = /usr/bin/env GDB=1 /usr/bin/valgrind -q "
                "--vgdb=no --leak-check=full "
                "--errors-for-leak-kinds=definite --show-leak-kinds=definite "
                "--num-callers=30 --log-file=%s/valgrind-auth.%%p.log "
                "/usr/lib/dovecot/auth\n  vsz_limit = %s"
                % (self.tmpdir, dialect("0", "unlimited")))

    def valgrind_errors(self):
        """Text of every valgrind report of this Dovecot's auth processes
        (empty when clean or when not under valgrind). Call after stop()."""
        out = []
        for name in sorted(os.listdir(self.tmpdir)):
            if name.startswith("valgrind-auth."):
                with open(os.path.join(self.tmpdir, name)) as f:
                    text = f.read().strip()
                if text:
                    out.append("%s:\n%s" % (name, text))
        return "\n".join(out)

    def _write_main_conf(self, auth_debug, auth_verbose, extra_conf):
        t = self.tmpdir
        yn = lambda b: "yes" if b else "no"
        if DOVECOT24:
            version_conf = ("dovecot_config_version = 2.4.1\n"
                            "dovecot_storage_version = 2.4.1\n")
            dialect_conf = f"""auth_allow_cleartext = yes
mail_driver = maildir
mail_path = {self.mail_dir}/%{{user | domain}}/%{{user | username}}"""
            listen_key = "listen"
        else:
            listen_key = "address"
            version_conf = ""
            dialect_conf = f"""disable_plaintext_auth = no
mail_location = maildir:{self.mail_dir}/%d/%n"""
        conf = f"""{version_conf}# dovecot.conf written by harness.py; everything lives in {t}
protocols = imap pop3
base_dir = {self.base_dir}
state_dir = {t}/state
instance_name = fa-test-{self.imap_port}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
listen = 127.0.0.1
ssl = no
{dialect_conf}
auth_mechanisms = plain login
auth_verbose = {yn(auth_verbose)}
auth_debug = {yn(auth_debug)}
auth_debug_passwords = no
auth_verbose_passwords = no
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {min(self.uid, 100)}

service imap-login {{
  inet_listener imap {{
    {listen_key} = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    {listen_key} = 127.0.0.1
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service auth {{
{self._valgrind_conf()}
  unix_listener {self.auth_socket} {{
    mode = 0666
  }}
  unix_listener {self.userdb_socket} {{
    mode = 0666
  }}
}}

!include {self.example_path}

{self._fill(extra_conf)}
"""
        self._write(self.conf_path, conf)

    def start(self):
        """Start Dovecot; wait for the IMAP port and the auth socket."""
        if self.running():
            return
        self._spawn(["dovecot", "-F", "-c", self.conf_path], self.stdout_path)
        _wait_for(self._ready, 30, "dovecot (%s)" % self.conf_path,
                  self.proc, self._startup_log)

    def _startup_log(self):
        return _tail(self.stdout_path) + _tail(self.log_path)

    def _ready(self):
        # auth socket accepts, IMAP port listens (not connected to: that
        # would log a "disconnected before auth was ready" line)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(1)
                s.connect(self.auth_socket)
        except OSError:
            return False
        return _listening(self.imap_port) and _listening(self.pop3_port)

    def stop(self):
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            subprocess.run(["doveadm", "-c", self.conf_path, "stop"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=15)
            self._kill(5)
        if VALGRIND:
            time.sleep(1)  # valgrind writes its report as auth exits
            if not any(n.startswith("valgrind-auth.")
                       for n in os.listdir(self.tmpdir)):
                raise AssertionError("FA_VALGRIND is set but no valgrind "
                                     "report exists in " + self.tmpdir)
            errors = self.valgrind_errors()
            if errors:
                raise AssertionError("valgrind found errors in the auth "
                                     "process:\n" + errors[:20000])

    def setting(self, name):
        """A setting of this Dovecot's configuration as doveconf shows it
        ("2 secs" for auth_failure_delay)."""
        r = subprocess.run(["doveconf", "-c", self.conf_path, "-h", name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("doveconf -h %s: %s" % (name, r.stdout))
        return r.stdout.strip()

    def seconds_setting(self, name):
        """A time setting of this Dovecot in seconds (a float)."""
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", self.setting(name))
        if not m:
            raise ValueError("%s = %r is no time" % (name,
                                                     self.setting(name)))
        unit = m.group(2).rstrip("s") if m.group(2) != "ms" else "ms"
        scale = {"": 1, "sec": 1, "ms": 0.001, "msec": 0.001, "min": 60,
                 "hour": 3600, "day": 86400, "week": 604800}
        if unit not in scale:
            raise ValueError("%s: unknown unit %r" % (name, m.group(2)))
        return float(m.group(1)) * scale[unit]

    def failure_delay_max(self):
        """The longest Dovecot holds back the reply to a failed (also
        temporarily failed) auth request: auth_failure_delay, counted in
        whole seconds from the request's last activity and checked every
        0.5 s (auth-request-handler.c), so a failure is answered between
        delay - 1 and delay + 0.5 s after it was decided. Dovecot 2.4
        holds back an internal (temporary) failure by its own
        auth_internal_failure_delay plus up to half of it at random
        (auth-request.c), instead of auth_failure_delay."""
        if getattr(self, "_failure_delay_max", None) is None:
            delay = self.seconds_setting("auth_failure_delay") + 0.5
            if DOVECOT24:
                delay = max(delay, 1.5 * self.seconds_setting(
                    "auth_internal_failure_delay"))
            self._failure_delay_max = delay
        return self._failure_delay_max

    _seq = itertools.count()

    def deliver(self, user, message, folder=None):
        """Put `message` (str or bytes) into user's INBOX, i.e. a new file
        in the Maildir new/ of mail_location (<mail_dir>/<domain>/<local>),
        owned by the mail user. Returns the file's path. folder: a Maildir++
        folder instead of INBOX ("Archive", "Archive.2024" for
        Archive/2024), created if missing."""
        local, _, domain = user.partition("@")
        maildir = os.path.join(self.mail_dir, domain, local)
        if folder is not None:
            maildir = os.path.join(maildir, "." + folder)
        for sub in ("", "cur", "new", "tmp"):
            path = os.path.join(maildir, sub)
            os.makedirs(path, exist_ok=True)
        _chown_tree(os.path.join(self.mail_dir, domain), self.uid, self.gid)
        if isinstance(message, str):
            message = message.encode()
        message = message.replace(b"\r\n", b"\n")
        name = "%d.P%dQ%d.harness" % (time.time(), os.getpid(),
                                      next(self._seq))
        tmp = os.path.join(maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(message)
        os.chown(tmp, self.uid, self.gid)
        final = os.path.join(maildir, "new", name)
        os.rename(tmp, final)
        return final


# --- clients -----------------------------------------------------------------

AuthReply = namedtuple("AuthReply", "ok fields raw temp")
AuthReply.__doc__ = """ok: OK reply; fields: dict of the reply's key=value
(flags map to ""); raw: the reply line; temp: temporary failure
(code=temp_fail or a `temp` flag)."""

_cpids = itertools.count(random.randint(1 << 20, 1 << 24))


def _tab_escape(s):
    return (s.replace("\x01", "\x011").replace("\t", "\x01t")
            .replace("\r", "\x01r").replace("\n", "\x01n"))


def _tab_unescape(s):
    return re.sub("\x01(.)", lambda m: {"1": "\x01", "t": "\t", "r": "\r",
                                        "n": "\n"}.get(m.group(1), m.group(1)),
                  s)


def _auth_line(req_id, user, password, authzid=None, service="imap",
               rip=None, no_penalty=True, extra=()):
    resp = "%s\0%s\0%s" % (authzid or "", user, password)
    params = ["AUTH", str(req_id), "PLAIN", "service=" + _tab_escape(service)]
    if no_penalty:
        params.append("no-penalty")
    if rip:
        params += ["rip=" + rip, "lip=127.0.0.1"]
    params += [_tab_escape(e) for e in extra]
    params.append("resp=" + base64.b64encode(resp.encode()).decode())
    return "\t".join(params) + "\n"


def _parse_reply(line):
    parts = line.split("\t")
    fields = {}
    for p in parts[2:]:
        if not p:
            continue
        key, _, value = p.partition("=")
        fields[key] = _tab_unescape(value)
    temp = fields.get("code") == "temp_fail" or "temp" in fields
    return AuthReply(parts[0] == "OK", fields, line, temp)


class _AuthConnection:
    """One auth-client connection: handshake, then AUTH lines."""

    def __init__(self, socket_path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.buf = b""
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(socket_path)
            self.sock.sendall(("VERSION\t1\t2\nCPID\t%d\n" %
                               next(_cpids)).encode())
            while self.readline() != "DONE":
                pass
        except BaseException:
            self.sock.close()
            raise

    def readline(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("auth server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def close(self):
        self.sock.close()


def auth_client_many(socket_path, requests, timeout=60):
    """Pipelined logins: send all AUTH lines on one connection, then read
    the replies. requests: dicts of auth_client_login()'s keyword
    arguments (user, password, authzid, service, rip, no_penalty, extra)
    or (user, password) tuples. Returns AuthReply objects in request order.
    Failures all wait out one auth_failure_delay together."""
    conn = _AuthConnection(socket_path, timeout)
    try:
        lines = []
        for i, req in enumerate(requests, 1):
            if not isinstance(req, dict):
                req = dict(zip(("user", "password"), req))
            lines.append(_auth_line(i, **req))
        conn.sock.sendall("".join(lines).encode())
        replies = {}
        while len(replies) < len(lines):
            line = conn.readline()
            cmd, _, rest = line.partition("\t")
            if cmd in ("OK", "FAIL", "CONT"):
                replies[int(rest.split("\t", 1)[0])] = _parse_reply(line)
        return [replies[i] for i in range(1, len(lines) + 1)]
    finally:
        conn.close()


def auth_client_login(socket_path, user, password, authzid=None,
                      service="imap", rip=None, no_penalty=True, timeout=60,
                      extra=()):
    """One SASL PLAIN login over Dovecot's auth-client protocol (no IMAP).
    no_penalty: skip the per-IP auth penalty; rip: the client IP to claim.
    Returns AuthReply(ok, fields, raw, temp)."""
    return auth_client_many(socket_path, [dict(
        user=user, password=password, authzid=authzid, service=service,
        rip=rip, no_penalty=no_penalty, extra=extra)], timeout)[0]


def _imap_quote(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def imap_login(port, user, password, host="127.0.0.1", timeout=30):
    """IMAP LOGIN (user quoted, so '/' '*' are safe); returns the logged-in
    imaplib.IMAP4 or raises imaplib.IMAP4.error."""
    conn = imaplib.IMAP4(host, port, timeout=timeout)
    try:
        conn.login(_imap_quote(user), password)
    except BaseException:
        conn.shutdown()
        raise
    return conn


def imap_authenticate_plain(port, user, password, authzid=None,
                            host="127.0.0.1", timeout=30):
    """IMAP AUTHENTICATE PLAIN with an optional authorisation identity."""
    conn = imaplib.IMAP4(host, port, timeout=timeout)
    token = ("%s\0%s\0%s" % (authzid or "", user, password)).encode()
    try:
        conn.authenticate("PLAIN", lambda _: token)
    except BaseException:
        conn.shutdown()
        raise
    return conn


def pop3_login(port, user, password, host="127.0.0.1", timeout=30):
    """POP3 USER/PASS; returns the poplib.POP3 or raises poplib.error_proto."""
    conn = poplib.POP3(host, port, timeout=timeout)
    try:
        conn.user(user)
        conn.pass_(password)
    except BaseException:
        conn.close()
        raise
    return conn


def pop3_authenticate_plain(port, user, password, authzid=None,
                            host="127.0.0.1", timeout=30):
    """POP3 AUTH PLAIN (initial response) with an optional authorisation
    identity; returns the poplib.POP3 or raises poplib.error_proto."""
    conn = poplib.POP3(host, port, timeout=timeout)
    token = ("%s\0%s\0%s" % (authzid or "", user, password)).encode()
    try:
        conn._shortcmd("AUTH PLAIN " + base64.b64encode(token).decode())
    except BaseException:
        conn.close()
        raise
    return conn


def doveadm_auth_test(conf, user, password, *args, command="test"):
    """`doveadm -c conf auth test [args] user password`: (rc, output),
    output being stdout and stderr together. command="login" runs `doveadm
    auth login`: passdb, then the userdb through the auth-master socket,
    as a login process and the post-login step do."""
    r = subprocess.run(["doveadm", "-c", conf, "auth", command] + list(args) +
                       [user, password], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    return r.returncode, r.stdout


def doveadm_auth_login(conf, user, password):
    """`doveadm auth login`: (rc, output, the output's userdb fields part,
    "" if there is none)."""
    rc, out = doveadm_auth_test(conf, user, password, command="login")
    return rc, out, out.partition("userdb extra fields:")[2]


def doveadm_user(conf, user):
    """`doveadm -c conf user user` (userdb lookup): (rc, output)."""
    r = subprocess.run(["doveadm", "-c", conf, "user", user],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    return r.returncode, r.stdout
