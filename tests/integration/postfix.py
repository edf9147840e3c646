"""Integration-test harness, part two: a private Postfix and the
functional-policy daemon on 127.0.0.1 (harness.py has slapd and Dovecot).

What it starts:
  Postfix       `postfix -c DIR start`: its own main.cf/master.cf in DIR,
                its own queue_directory and data_directory, logging through
                postlogd into DIR/log/maillog (no syslog needed), smtpd on a
                free 127.0.0.1 port, every delivery to discard: (nothing
                leaves the machine), SMTP AUTH through Dovecot's auth
                service over TCP (smtpd_sasl_type = dovecot), a site
                sender-login map (texthash:, reject_known_sender_login_
                mismatch) and check_policy_service in
                smtpd_sender_restrictions (an absolute unix:/path works:
                smtpd runs unchrooted here), XCLIENT allowed from
                127.0.0.1. Stopped with `postfix -c DIR stop`, then by the
                master's PID (SIGTERM, SIGKILL) if that did not work.
  PolicyDaemon  `functional-policy -c CONF -s SOCK -l LOG [-t N] [-n N]`
                in the foreground (standalone mode), stopped by PID.

Where files go: /tmp/fa-postfix-* and /tmp/fa-policy-* (tempfile.mkdtemp),
removed in cleanup() (FA_KEEP_TMP=1 keeps them); cleanup runs at the end
of a test class, at interpreter exit and on failure (harness's bookkeeping).
Nothing outside the temp dirs is changed; run as root.

Also here: dovecot_auth_inet_conf() (the extra_conf that gives a
harness.Dovecot a TCP auth listener for Postfix), policy_binary() (where
the daemon is), policy_request() and PolicyConnection (the raw Postfix
policy protocol), SMTPSession and smtp_send_as() (smtplib: AUTH PLAIN
with an optional authzid and XCLIENT address, MAIL, RCPT, DATA).

Postfix facts these rely on (3.7.11, seen here): `postfix -c DIR start`
takes about 2 s, `stop` about 1.7 s; a check_policy_service value with
spaces needs its own braces, `{ default_action = 451 4.3.5 text }`
(`default_action={ ... }` is taken for a restriction name: "unknown smtpd
restriction", 451 4.3.5 Server configuration error); smtpd prefixes a
policy's REJECT/4xx text with "<sender>: Sender address rejected: ".
"""

import base64
import os
import pwd
import signal
import smtplib
import socket
import subprocess
import time

import harness

POLICY_INSTALLED = "/usr/local/sbin/functional-policy"
POLICY_BUILT = os.path.join(harness.TOP, "functional-policy")


# --- the daemon under test ---------------------------------------------------

def policy_binary():
    """The functional-policy to test: the installed one, else the one in
    the build tree; None if neither exists."""
    for path in (POLICY_INSTALLED, POLICY_BUILT):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def require_policy_binary(unittest):
    """policy_binary(), or SkipTest (AssertionError with FA_REQUIRE_MODULE
    set, as the other tests treat a missing module)."""
    path = policy_binary()
    if path is None:
        why = ("functional-policy is neither installed (%s) nor built (%s)"
               % (POLICY_INSTALLED, POLICY_BUILT))
        if os.environ.get("FA_REQUIRE_MODULE"):
            raise AssertionError(why + " and FA_REQUIRE_MODULE is set")
        raise unittest.SkipTest(why + "; set FA_REQUIRE_MODULE=1 to make "
                                "this a failure")
    return path


# --- Dovecot's auth service for Postfix --------------------------------------

def dovecot_auth_inet_conf(port):
    """extra_conf for harness.Dovecot: an inet_listener of the auth service
    on 127.0.0.1:port, which Postfix's Dovecot SASL client talks to
    (smtpd_sasl_path = inet:127.0.0.1:port). Dovecot merges this `service
    auth` block into the harness's own."""
    return harness.dialect(
        """service auth {
  inet_listener {
    address = 127.0.0.1
    port = %d
  }
}
""" % port,
        """service auth {
  inet_listener auth-inet {
    listen = 127.0.0.1
    port = %d
  }
}
""" % port)


# --- Postfix -----------------------------------------------------------------

def _postfix_ids():
    pw = pwd.getpwnam("postfix")
    return pw.pw_uid, pw.pw_gid


# Every service a running Postfix needs, plus smtpd and postlogd (master.cf
# of Debian's postfix package, chroot off: the tests' paths are absolute).
_MASTER_CF = """# master.cf written by postfix.py
{smtpd_port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class Postfix(harness._Server):
    """A private Postfix: SMTP on 127.0.0.1:port, SASL through Dovecot.

    Postfix(sasl_port, policy=None, policy_default_action=DEFAULT_ACTION,
            sender_logins=None, extra_main="", extra_master="",
            tmpdir=None, port=None, start=True)

    sasl_port: Dovecot's auth inet_listener (dovecot_auth_inet_conf()).
    policy: the check_policy_service server ("unix:/abs/path.sock",
      "unix:private/policy"); None: no policy check.
    sender_logins: {address: sasl login} for smtpd_sender_login_maps (a
      texthash: file), enforced with reject_known_sender_login_mismatch
      before the policy: the site's own rule for ordinary addresses.
    extra_main / extra_master: text added to main.cf / master.cf.
    Attributes: .port .tmpdir .config_dir .queue_dir .data_dir .log_path
    (the maillog) .private_dir (queue_dir/private, where unix:private/NAME
    services live). Methods: start() stop() cleanup() reload()
    log_text(since) log_size() postconf(name).
    """

    DEFAULT_ACTION = "451 4.3.5 policy service unavailable"

    def __init__(self, sasl_port, policy=None,
                 policy_default_action=DEFAULT_ACTION, sender_logins=None,
                 extra_main="", extra_master="", tmpdir=None, port=None,
                 start=True):
        self._owns_tmpdir = tmpdir is None
        self.tmpdir = t = harness._make_tmpdir(tmpdir, "fa-postfix-")
        self.port = port or harness.free_port()
        self.sasl_port = sasl_port
        self.config_dir = os.path.join(t, "etc")
        self.queue_dir = os.path.join(t, "spool")
        self.data_dir = os.path.join(t, "data")
        self.log_dir = os.path.join(t, "log")
        self.log_path = os.path.join(self.log_dir, "maillog")
        self.private_dir = os.path.join(self.queue_dir, "private")
        self.pid_path = os.path.join(self.queue_dir, "pid", "master.pid")
        self.sender_map_path = os.path.join(self.config_dir, "sender_logins")
        self.policy = policy
        uid, gid = _postfix_ids()
        for d in (self.config_dir, self.queue_dir, self.log_dir):
            os.makedirs(d, mode=0o755, exist_ok=True)
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        os.chown(self.data_dir, uid, gid)
        try:
            self._write_maps(sender_logins or {})
            self._write_main_cf(policy, policy_default_action, extra_main)
            self._write(os.path.join(self.config_dir, "master.cf"),
                        _MASTER_CF.format(smtpd_port="127.0.0.1:%d"
                                          % self.port) + extra_master)
            if start:
                self.start()
        except BaseException:
            self.cleanup()
            raise

    def __repr__(self):
        return "Postfix(smtp=%d, %s)" % (self.port, self.tmpdir)

    _write = staticmethod(harness.write_file)

    def _write_maps(self, sender_logins):
        self._write(self.sender_map_path, "".join(
            "%s %s\n" % (addr, login)
            for addr, login in sorted(sender_logins.items())))

    def _write_main_cf(self, policy, default_action, extra_main):
        if policy:
            # values with spaces go into their own { name = value }
            policy_check = ("check_policy_service { %s, timeout=10s, "
                            "{ default_action = %s } }"
                            % (policy, default_action))
        else:
            policy_check = ""
        conf = f"""# main.cf written by postfix.py; all files in {self.tmpdir}
compatibility_level = 3.6
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
maillog_file = {self.log_path}
maillog_file_prefixes = {self.log_dir}
syslog_name = fa-postfix-{self.port}
myhostname = mx.fa-test.invalid
mydomain = fa-test.invalid
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
local_transport = discard:
default_transport = discard:
relay_transport = discard:
biff = no
smtputf8_enable = no
smtpd_banner = $myhostname ESMTP fa-test
smtpd_tls_security_level = none
smtpd_tls_auth_only = no
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{self.sasl_port}
broken_sasl_auth_clients = no
# tests may claim another client address (and so another Dovecot rip)
smtpd_authorized_xclient_hosts = 127.0.0.1
smtpd_sender_login_maps = texthash:{self.sender_map_path}
# as README "Plain Postfix": the policy service first (OK/REJECT for
# functional accounts end the list), the site's own check for the rest
smtpd_sender_restrictions =
    {policy_check}
    reject_authenticated_sender_login_mismatch
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_auth_rate_limit = 0
anvil_rate_time_unit = 60s
{extra_main}
"""
        self._write(os.path.join(self.config_dir, "main.cf"), conf)

    # --- running -------------------------------------------------------------

    def _postfix(self, *args, timeout=60):
        return subprocess.run(["postfix", "-c", self.config_dir] + list(args),
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)

    def master_pid(self):
        """The PID of this Postfix's master(8), or None."""
        try:
            with open(self.pid_path) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        if pid <= 0:
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def running(self):
        return self.master_pid() is not None

    def start(self):
        """`postfix -c DIR start`; waits until smtpd's port listens."""
        if self.running():
            return
        if self not in harness._LIVE:
            harness._LIVE.append(self)
        r = self._postfix("start")
        if r.returncode != 0:
            raise RuntimeError("postfix -c %s start failed (%s):\n%s\n%s" % (
                self.config_dir, r.returncode, r.stdout,
                harness._tail(self.log_path)))
        harness._wait_for(
            lambda: self.running() and harness._listening(self.port), 30,
            "postfix (%s)" % self.config_dir,
            log=lambda: harness._tail(self.log_path))

    def reload(self):
        """`postfix reload` (re-reads main.cf/master.cf)."""
        r = self._postfix("reload")
        if r.returncode != 0:
            raise RuntimeError("postfix reload: %s" % r.stdout)

    def stop(self):
        """`postfix -c DIR stop`, then SIGTERM/SIGKILL of the master's PID
        if it is still there after a bounded wait."""
        pid = self.master_pid()
        if pid is None:
            return
        try:
            self._postfix("stop", timeout=30)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 10
        while self.master_pid() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if self.master_pid() is None:
                break
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while (self.master_pid() is not None and
                   time.monotonic() < deadline):
                time.sleep(0.1)

    def postconf(self, name):
        r = subprocess.run(["postconf", "-c", self.config_dir, "-h", name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        return r.stdout.strip()

    def detach(self):
        if self in harness._LIVE:
            harness._LIVE.remove(self)


# --- the policy daemon, standalone -------------------------------------------

class PolicyDaemon(harness._Server):
    """`functional-policy -c CONF -s SOCK -l LOG` in the foreground.

    PolicyDaemon(conf_text, binary=None, tmpdir=None, idle_timeout=None,
                 max_connections=None, mode="0666", debug=False,
                 start=True)

    conf_text: the functional-accounts.conf it reads (written to
      tmpdir/functional-accounts.conf, .conf_path; change it with
      write_conf() and reload()). mode: the socket's mode (-m); 0666 by
      default because smtpd connects as the postfix user.
    Attributes: .socket_path .log_path (-l PATH) .stdout_path (its stdout
    and stderr) .proc. Methods: start() stop() reload() (SIGHUP)
    terminate() (SIGTERM, returns the exit code) log_text() log_size().
    """

    def __init__(self, conf_text, binary=None, tmpdir=None,
                 idle_timeout=None, max_connections=None, mode="0666",
                 debug=False, start=True):
        self._owns_tmpdir = tmpdir is None
        self.tmpdir = t = harness._make_tmpdir(tmpdir, "fa-policy-")
        os.chmod(t, 0o755)
        self.binary = binary or policy_binary()
        self.conf_path = os.path.join(t, "functional-accounts.conf")
        self.socket_path = os.path.join(t, "policy.sock")
        self.log_path = os.path.join(t, "policy.log")
        self.stdout_path = os.path.join(t, "policy.stdout")
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.mode = mode
        self.debug = debug
        self.write_conf(conf_text)
        if start:
            try:
                self.start()
            except BaseException:
                self.cleanup()
                raise

    def __repr__(self):
        return "PolicyDaemon(%s)" % self.socket_path

    def write_conf(self, text):
        harness.write_file(self.conf_path, text, 0o600)

    def argv(self):
        argv = [self.binary, "-c", self.conf_path, "-s", self.socket_path,
                "-l", self.log_path]
        if harness.VALGRIND:
            # FA_VALGRIND=1: the daemon too; stop() reads the reports
            argv = ["/usr/bin/valgrind", "-q", "--leak-check=full",
                    "--errors-for-leak-kinds=definite",
                    "--show-leak-kinds=definite", "--num-callers=30",
                    "--log-file=%s/valgrind-policy.%%p.log" % self.tmpdir
                    ] + argv
        if self.mode is not None:
            argv += ["-m", self.mode]
        if self.idle_timeout is not None:
            argv += ["-t", str(self.idle_timeout)]
        if self.max_connections is not None:
            argv += ["-n", str(self.max_connections)]
        if self.debug:
            argv.append("-d")
        return argv

    def _connectable(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(1)
                s.connect(self.socket_path)
            return True
        except OSError:
            return False

    def start(self):
        if self.running():
            return
        self._spawn(self.argv(), self.stdout_path)
        harness._wait_for(self._connectable, 20, "functional-policy (%s)"
                          % self.socket_path, self.proc, self.startup_log)

    def startup_log(self):
        return harness._tail(self.stdout_path) + harness._tail(self.log_path)

    def reload(self):
        """SIGHUP: re-read the config."""
        self.proc.send_signal(signal.SIGHUP)

    def terminate(self, timeout=10):
        """SIGTERM; the exit code (None if it did not exit in time)."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def valgrind_errors(self):
        """Every valgrind report of this daemon (empty when clean or not
        under valgrind)."""
        out = []
        if not self.tmpdir or not os.path.isdir(self.tmpdir):
            return ""
        for name in sorted(os.listdir(self.tmpdir)):
            if name.startswith("valgrind-policy."):
                with open(os.path.join(self.tmpdir, name)) as f:
                    text = f.read().strip()
                if text:
                    out.append("%s:\n%s" % (name, text))
        return "\n".join(out)

    def stop(self):
        if harness.VALGRIND and self.running():
            # a clean exit, so that valgrind reports leaks
            self.terminate(30)
        self._kill()
        if harness.VALGRIND:
            errors = self.valgrind_errors()
            if errors:
                raise AssertionError("valgrind found errors in "
                                     "functional-policy:\n" + errors[:20000])


# --- clients -----------------------------------------------------------------

def policy_request(**attrs):
    """A Postfix policy request (bytes) with sensible smtpd defaults for
    whatever attrs do not say; an attribute given as None is left out."""
    req = dict(request="smtpd_access_policy", protocol_state="RCPT",
               protocol_name="ESMTP", client_address="127.0.0.1",
               client_name="localhost", reverse_client_name="localhost",
               helo_name="client.fa-test.invalid", sender="",
               recipient="someone@example.org", recipient_count="0",
               queue_id="", instance="a1b2.c3d4e5.0", size="0",
               sasl_method="PLAIN", sasl_username="", sasl_sender="")
    req.update(attrs)
    return "".join("%s=%s\n" % (k, v) for k, v in req.items()
                   if v is not None).encode() + b"\n"


class PolicyConnection:
    """One raw connection to the daemon's socket (what smtpd's policy
    client does, and whatever else a test wants to send)."""

    def __init__(self, socket_path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.buf = b""
        self.timeout = timeout
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(socket_path)
        except BaseException:
            self.sock.close()
            raise

    def send(self, data):
        self.sock.sendall(data)

    def read_answer(self):
        """The next answer's lines (without the empty line ending it), or
        None if the daemon closed the connection first. socket.timeout if
        nothing complete comes within the timeout."""
        while b"\n\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        answer, self.buf = self.buf.split(b"\n\n", 1)
        return answer.decode("utf-8", "replace").split("\n")

    def ask(self, data):
        """send(data) then read_answer()."""
        self.send(data)
        return self.read_answer()

    def closed_by_peer(self, timeout=None):
        """True once the daemon has closed the connection (EOF, or a reset)
        within timeout (default: this connection's); any data before the
        EOF is kept in .buf."""
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(self.timeout)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def action_of(answer):
    """The value of action= in an answer's lines (None if absent)."""
    for line in answer or ():
        if line.startswith("action="):
            return line[len("action="):]
    return None


class SMTPResult:
    """What one SMTP transaction got, each step as (code, text): .auth,
    .mail, .rcpt (the first recipient's), .rcpts (all), .data; None where
    the step was not reached."""

    def __init__(self, auth=None):
        self.auth = auth
        self.mail = self.rcpt = self.data = None
        self.rcpts = []

    def __repr__(self):
        return "SMTPResult(auth=%r, mail=%r, rcpts=%r, data=%r)" % (
            self.auth, self.mail, self.rcpts, self.data)


def _reply(code_msg):
    code, msg = code_msg
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return code, msg


class SMTPSession:
    """One SMTP connection to 127.0.0.1:port (smtplib): EHLO, optionally
    XCLIENT ADDR=xclient_addr (the client address Postfix then uses, also
    as Dovecot's rip: Postfix must list 127.0.0.1 in
    smtpd_authorized_xclient_hosts), and AUTH PLAIN with the token
    authzid NUL authcid NUL password (smtplib's login() cannot send an
    authorisation identity). .auth is the AUTH reply (code, text)."""

    def __init__(self, port, authcid, password, authzid=None,
                 xclient_addr=None, timeout=30):
        self.conn = smtplib.SMTP("127.0.0.1", port,
                                 local_hostname="client.fa-test.invalid",
                                 timeout=timeout)
        self._in_transaction = False
        try:
            self.conn.ehlo()
            if xclient_addr:
                reply = _reply(self.conn.docmd(
                    "XCLIENT", "ADDR=%s NAME=[UNAVAILABLE]" % xclient_addr))
                if reply[0] != 220:
                    raise RuntimeError("XCLIENT refused: %r" % (reply,))
                self.conn.ehlo_resp = None
                self.conn.ehlo()
            token = ("%s\0%s\0%s" % (authzid or "", authcid,
                                      password)).encode()
            self.auth = _reply(self.conn.docmd(
                "AUTH", "PLAIN " + base64.b64encode(token).decode()))
        except BaseException:
            self.conn.close()
            raise

    @property
    def authenticated(self):
        return self.auth[0] == 235

    def send_as(self, sender, recipients=("someone@example.org",),
                data=True):
        """MAIL FROM:<sender>, RCPT TO:<r> for each recipient, and DATA
        with a short message if any was accepted and data is true. A
        transaction left open by a refusal is RSET first."""
        res = SMTPResult(self.auth)
        if self._in_transaction:
            self.conn.rset()
            self._in_transaction = False
        res.mail = _reply(self.conn.docmd("MAIL", "FROM:<%s>" % sender))
        if res.mail[0] != 250:
            return res
        self._in_transaction = True
        for rcpt in recipients:
            res.rcpts.append(_reply(self.conn.docmd("RCPT",
                                                    "TO:<%s>" % rcpt)))
        res.rcpt = res.rcpts[0] if res.rcpts else None
        if data and any(r[0] == 250 for r in res.rcpts):
            try:
                res.data = _reply(self.conn.data(
                    "From: <%s>\r\nTo: <%s>\r\nSubject: send-as test\r\n"
                    "\r\ntest\r\n" % (sender or "postmaster",
                                        recipients[0])))
            except smtplib.SMTPDataError as e:
                res.data = (e.smtp_code, e.smtp_error.decode(
                    "utf-8", "replace"))
            self._in_transaction = False
        return res

    def close(self):
        try:
            self.conn.quit()
        except (smtplib.SMTPException, OSError):
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def smtp_send_as(port, authcid, password, sender,
                 recipients=("someone@example.org",), authzid=None,
                 xclient_addr=None, data=True):
    """A whole session: AUTH PLAIN, then (if it succeeded) SMTPSession.
    send_as(), QUIT. Returns the SMTPResult."""
    with SMTPSession(port, authcid, password, authzid=authzid,
                     xclient_addr=xclient_addr) as session:
        if not session.authenticated:
            return SMTPResult(session.auth)
        return session.send_as(sender, recipients, data)
