"""policy_bench.py - the policy-service row of bench/bench.py: send-as
decisions per second and their p99 latency at 64 concurrent Postfix SMTP
connections, functional-policy (cold and warm) against Postfix's own
`ldap:` sender-login map on the same slapd, in the same run.

What it starts (everything on 127.0.0.1, under a temp dir, stopped by PID
at the end, also on failure):
  * one private Postfix (`postfix -c DIR start`, own queue and data
    directories, maillog_file, no chroot, discard transports) with four
    smtpd services on free ports, identical but for the sender check:
      cold  smtpd_sender_restrictions = check_policy_service
            unix:DIR/cold.sock      (functional-policy, lookup_cache_ttl = 0)
      warm  ... unix:DIR/warm.sock  (functional-policy, lookup_cache_ttl
            as the example file: its default, 5 s)
      b1    smtpd_sender_login_maps = ldap:DIR/senders-b1.cf
            + reject_sender_login_mismatch: one search per MAIL FROM on
            the sender's address, returning a `mail` attribute that holds
            every person allowed to send as it. UCS keeps no such list:
            the benchmark writes it into the account and folder entries
            (extensibleObject + mail, computed by gen-directory.py with
            the same rules) just before each b1 measurement and deletes
            it right after, so the product's searches never see it. The
            best case for Postfix's map: one search, the answer
            precomputed.
      b2    smtpd_sender_login_maps = ldap:DIR/senders-b2.cf: the map
            written on the UCS data as it is, OX members found through
            uniqueMember (special_result_attribute: one search for the
            sender plus one per member DN). It cannot express shared-folder
            ACLs (every shared-folder sender is refused) nor disabled
            members (accepted); its answers are checked against what the
            map means, and how often that differs from the rules is
            printed.
      none  no sender restrictions at all: the harness's ceiling (Postfix,
            XCLIENT and the load generator alone), every MAIL FROM accepted.
    smtpd_delay_reject = no, so that the sender restrictions run at MAIL
    FROM: one decision per MAIL FROM, no queue file; XCLIENT (the client
    is in smtpd_authorized_xclient_hosts) sets the SASL login, so no SASL
    exchange and no Dovecot in this row; smtpd's error and junk-command
    limits are lifted (a refusal is an error to smtpd).
  * two functional-policy daemons (-s SOCKET -m 0666 -l LOGFILE) with the
    plugin config bench.py gives its Dovecots (service bind, the same
    ldap_connections / ldap_bind_connections), send_min_right = append.
  * bench/smtp-load.c: 64 SMTP connections, each after EHLO repeating
    XCLIENT LOGIN=<person>, then MAIL FROM:<sender> and RSET in one write
    (two round trips per decision); latency is MAIL FROM to its reply.
    Every reply is checked (2xx must be a grant, 5xx a refusal, 4xx is a
    temporary failure: wrong). The daemons' logs must hold one send-as
    line per decision on a functional sender and no error or warning;
    on SIGTERM they must exit 0 and remove their socket; anything else is
    a PROBLEM line in the output and a non-zero exit status.

The request mix (--items, default 4 000 distinct person/sender pairs,
cycled): 35 % OX members, 10 % shared folders whose ACL names the person
with append or more, 20 % through a group ACL with append or more (all
granted); 8 % OX non-members, 12 % ACL right below append (read, post),
5 % explicit none, 4 % no right at all, 2 % disabled people (all refused);
4 % the person's own address (not a functional account: the policy
answers DUNNO, Postfix accepts).

Cold = lookup_cache_ttl = 0: every decision searches the directory
(person, target and, unless a rule naming the person grants, the
person's groups: measured 2 searches for an OX member or an ACL naming
the person, 4 for a group-ACL grant and for most refusals; none when the
sender is the login itself). Warm = the default TTL, with the items just
passed once before each measurement; items cycle through 4 000 pairs of
~1 000 people and 100 targets, so nearly every lookup is answered from
the cache and each entry is looked up again about once per TTL. srch/dec
shows what each measurement asked slapd.

Rounds: after one warm-up pass per service (each item once, also
checked), --repeat interleaved rounds of cold, warm, b2, b1, none; the
rates shown are those of the round least disturbed by other load, the
ratios the median of each round's own ratio (as bench.py's K=64
comparison).
"""

import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests",
                                "integration"))
import harness  # noqa: E402

DEFAULT_POLICY_BIN = "/usr/local/sbin/functional-policy"
CONNS = 64

# request mix: (share, kind, category, expected answer for the product)
MIX = [
    (35, "grant", "ox", True),
    (10, "grant", "acl_person", True),
    (20, "grant", "acl_group", True),
    (8, "deny", "ox_non_member", False),
    (12, "deny", "acl_low", False),
    (5, "deny", "acl_none", False),
    (4, "deny", "acl_nothing", False),
    (2, "deny", "disabled_person", False),
    (4, "own", "own_address", True),
]

LABELS = {
    "cold": "functional-policy, cold (ttl 0)",
    "warm": "functional-policy, warm (ttl %s)",
    "b1": "B1 ldap map, 1 search, precomputed",
    "b2": "B2 ldap map, uniqueMember deref",
    "none": "Postfix alone, no sender check",
}

def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def _stat(pid):
    """(state, ppid, cpu seconds) from /proc/PID/stat, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    clk = os.sysconf("SC_CLK_TCK")
    return rest[0], int(rest[1]), (int(rest[11]) + int(rest[12])) / clk


def _children(ppid):
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st and st[1] == ppid:
                pids.append(int(name))
    return pids


def _cpu_map(pids):
    out = {}
    for p in pids:
        st = _stat(p)
        if st:
            out[p] = st[2]
    return out


def _cpu_delta(before, after):
    """CPU seconds used between two _cpu_map()s (processes that appeared
    in between count from 0)."""
    return sum(v - before.get(p, 0.0) for p, v in after.items())


def file_id(path):
    """sha256 prefix and mtime of a binary (it may be rebuilt meanwhile)."""
    try:
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
    except OSError as e:
        return "unreadable (%s)" % e.strerror
    return "%s (built %s)" % (digest, time.strftime(
        "%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(path))))


# --- Postfix -----------------------------------------------------------------

class Postfix(harness._Server):
    """A private Postfix 3.x: `postfix -c DIR/conf start`, one smtpd
    service per entry of `services` {name: [(param, value), ...]} on its
    own free 127.0.0.1 port (.ports[name]), main.cf settings `main`.
    harness._Server: stopped at exit if still running (harness._LIVE),
    log_text() (the maillog)."""

    def __init__(self, tmpdir, services, main):
        self.tmpdir = tmpdir
        self.conf = os.path.join(tmpdir, "conf")
        self.queue = os.path.join(tmpdir, "queue")
        self.data = os.path.join(tmpdir, "data")
        self.logdir = os.path.join(tmpdir, "log")
        self.log_path = os.path.join(self.logdir, "maillog")
        self.master_pid = None
        for d in (self.conf, self.queue, self.data, self.logdir):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
        pw = harness._user_ids("postfix")
        if pw is None:
            raise RuntimeError("no user postfix: apt-get install postfix "
                               "postfix-ldap")
        missing = missing_packages(["postfix-ldap", "libsasl2-modules"])
        if missing:
            # XCLIENT LOGIN needs smtpd_sasl_auth_enable = yes, and smtpd
            # exits ("no SASL authentication mechanisms") without Cyrus
            # SASL's mechanism plugins (only recommended by libsasl2-2)
            raise RuntimeError("Debian packages missing: %s (apt-get "
                               "install %s)" % (" ".join(missing),
                                                " ".join(missing)))
        os.chown(self.data, *pw)
        self.ports = {name: harness.free_port() for name in services}
        settings = dict(
            compatibility_level="3.6", queue_directory=self.queue,
            data_directory=self.data, maillog_file=self.log_path,
            maillog_file_prefixes=self.logdir, mail_owner="postfix",
            setgid_group="postdrop", myhostname="bench.invalid",
            mydomain="invalid", mydestination="", inet_interfaces="127.0.0.1",
            inet_protocols="ipv4", mynetworks="127.0.0.0/8", alias_maps="",
            alias_database="", local_recipient_maps="",
            default_transport="discard:", relay_transport="discard:",
            # idle smtpd processes (with their policy and LDAP
            # connections) stay for the next measurement
            max_idle="3600s", max_use="1000000",
            smtpd_authorized_xclient_hosts="127.0.0.1",
            smtpd_sasl_auth_enable="yes",
            smtpd_delay_reject="no", smtpd_peername_lookup="no",
            smtpd_soft_error_limit="1000000000",
            smtpd_hard_error_limit="1000000000",
            smtpd_junk_command_limit="1000000000",
            smtpd_error_sleep_time="0",
            smtpd_client_connection_count_limit="0",
            smtpd_client_connection_rate_limit="0",
            smtpd_policy_service_timeout="10s",
            smtpd_policy_service_max_idle="3600s",
            smtpd_policy_service_max_ttl="3600s")
        settings.update(main)
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("# written by bench/policy_bench.py\n")
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
        lines = ["# written by bench/policy_bench.py"]
        for name, params in services.items():
            lines.append("127.0.0.1:%d inet n - n - %d smtpd" % (
                self.ports[name], 2 * CONNS + 16))
            lines.append("  -o syslog_name=postfix-%s" % name)
            for k, v in params:
                if " " in v:
                    raise ValueError("no spaces in -o values: %r" % v)
                lines.append("  -o %s=%s" % (k, v))
        for svc in ("pickup unix n - n 60 1 pickup",
                    "cleanup unix n - n - 0 cleanup",
                    "qmgr unix n - n 300 1 qmgr",
                    "rewrite unix - - n - - trivial-rewrite",
                    "bounce unix - - n - 0 bounce",
                    "defer unix - - n - 0 bounce",
                    "trace unix - - n - 0 bounce",
                    "verify unix - - n - 1 verify",
                    "flush unix n - n 1000? 0 flush",
                    "proxymap unix - - n - - proxymap",
                    "showq unix n - n - - showq",
                    "error unix - - n - - error",
                    "retry unix - - n - - error",
                    "discard unix - - n - - discard",
                    "anvil unix - - n - 1 anvil",
                    "scache unix - - n - 1 scache",
                    "postlog unix-dgram n - n - 1 postlogd"):
            lines.append(svc)
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def __repr__(self):
        return "Postfix(%s)" % self.tmpdir

    def _postfix(self, *args):
        return subprocess.run(["postfix", "-c", self.conf] + list(args),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=120)

    def start(self):
        r = self._postfix("check")
        if r.returncode != 0:
            raise RuntimeError("postfix check (%s): %s\n%s" % (
                self.conf, r.stdout, harness._tail(self.log_path, 30)))
        harness._LIVE.append(self)
        r = self._postfix("start")
        if r.returncode != 0:
            raise RuntimeError("postfix start (%s) exited %d: %s\n%s" % (
                self.conf, r.returncode, r.stdout,
                harness._tail(self.log_path, 30)))
        pid_file = os.path.join(self.queue, "pid", "master.pid")
        deadline = time.monotonic() + 30
        while True:
            try:
                with open(pid_file) as f:
                    self.master_pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
            if self.master_pid and all(harness._listening(p)
                                       for p in self.ports.values()):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("Postfix in %s not listening on %s "
                                   "after 30 s\n%s" % (
                                       self.conf, self.ports,
                                       harness._tail(self.log_path, 30)))
            time.sleep(0.1)

    def pids(self):
        """master and all its children (smtpd, postlogd, anvil, ...)."""
        if not self.master_pid:
            return []
        return [self.master_pid] + _children(self.master_pid)

    def stop(self):
        if self in harness._LIVE:
            harness._LIVE.remove(self)
        if not self.master_pid:
            return
        kids = _children(self.master_pid)
        self._postfix("stop")
        deadline = time.monotonic() + 15
        while _pid_alive(self.master_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in [self.master_pid] + kids:
            if _pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.master_pid = None


# --- functional-policy -------------------------------------------------------

class PolicyDaemon(harness._Server):
    """functional-policy -c CONF -s SOCKET -m 0666 -l LOG, started and
    stopped (SIGTERM, then SIGKILL) by its PID. harness._Server: started
    in its own session, stopped at exit if still running (harness._LIVE),
    log_text() (the -l log)."""

    def __init__(self, binary, tmpdir, name, conf_text):
        self.binary, self.name = binary, name
        self.conf = os.path.join(tmpdir, name + ".conf")
        self.sock = os.path.join(tmpdir, name + ".sock")
        self.log_path = os.path.join(tmpdir, name + ".log")
        self.out_path = os.path.join(tmpdir, name + ".out")
        self.proc = None
        self.started = False
        self.exit_note = None
        with open(self.conf, "w") as f:
            f.write(conf_text)
        os.chmod(self.conf, 0o600)

    def __repr__(self):
        return "PolicyDaemon(%s, %s)" % (self.name, self.sock)

    def start(self, timeout=30):
        argv = [self.binary, "-c", self.conf, "-s", self.sock, "-m", "0666",
                "-l", self.log_path]
        self._spawn(argv, self.out_path)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    "%s exited %s at startup (%s)\nstdout/stderr: %s\nlog: %s"
                    % (" ".join(argv), self.proc.returncode, self.name,
                       harness._tail(self.out_path, 30),
                       harness._tail(self.log_path, 30)))
            if os.path.exists(self.sock):
                try:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.settimeout(5)
                        s.connect(self.sock)
                    self.started = True
                    mode = os.stat(self.sock).st_mode & 0o777
                    if mode != 0o666:
                        raise RuntimeError("%s: socket %s has mode %o, "
                                           "-m 0666 asked" % (
                                               self.name, self.sock, mode))
                    return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("%s: no socket %s after %d s\n%s" % (
                    " ".join(argv), self.sock, timeout,
                    harness._tail(self.log_path, 30)))
            time.sleep(0.05)

    def stop(self):
        """SIGTERM; notes how it ended (the interface: exit 0, socket
        removed)."""
        if self in harness._LIVE:
            harness._LIVE.remove(self)
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            if self.started:
                self.exit_note = ("had exited (status %s) before the end of "
                                  "the row; log: %s" % (
                                      self.proc.returncode,
                                      harness._tail(self.log_path,
                                                    5).strip()))
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
            notes = []
            if rc != 0:
                notes.append("exited %d on SIGTERM (interface: 0)" % rc)
            if os.path.exists(self.sock):
                notes.append("left its socket %s behind" % self.sock)
            self.exit_note = "; ".join(notes) or None
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            self.exit_note = "did not exit within 10 s of SIGTERM (killed)"

    def cpu(self):
        st = _stat(self.proc.pid) if self.proc else None
        return st[2] if st else 0.0


# --- LDAP map configs --------------------------------------------------------

def map_conf(slapd, kind):
    """Postfix ldap_table(5) config of baseline b1 or b2. %u@%d: a key
    without a local part (the `@domain` step of the sender-login lookup)
    is not searched at all, so one search per MAIL FROM (b1)."""
    common = ("server_host = %s\nversion = 3\nbind = yes\nbind_dn = %s\n"
              "bind_pw = %s\nsearch_base = %s\nscope = sub\n"
              "query_filter = (mailPrimaryAddress=%%u@%%d)\n" % (
                  slapd.uri.rstrip("/"), harness.SERVICE_DN,
                  harness.SERVICE_PASSWORD, harness.BASE_DN))
    if kind == "b1":
        # persons: their own address; accounts and folders: the
        # precomputed `mail` list (and their own address, which no one
        # logs in as)
        return common + "result_attribute = mail, mailPrimaryAddress\n"
    # b2: the UCS data as it is: an OX account's uniqueMember DNs are
    # searched for their mailPrimaryAddress; an entry without members
    # (a person, a shared folder) gives its own address
    return common + ("result_attribute =\n"
                     "special_result_attribute = uniqueMember\n"
                     "leaf_result_attribute = mailPrimaryAddress\n")


def b1_ldif(m, add):
    """The precomputed sender lists of b1 (add=True), or their removal."""
    out = []
    for t in m["targets"]:
        allowed = m["send_allowed"].get(t["mail"], [])
        out.append("dn: %s\nchangetype: modify\n" % t["dn"])
        if add:
            out.append("add: objectClass\nobjectClass: extensibleObject\n")
            if allowed:
                out.append("-\nadd: mail\n" + "".join(
                    "mail: %s\n" % a for a in allowed))
        else:
            if allowed:
                out.append("delete: mail\n-\n")
            out.append("delete: objectClass\nobjectClass: extensibleObject\n")
        out.append("\n")
    return "".join(out)


# --- the request mix ---------------------------------------------------------

def workload(m, n, seed):
    """[(person, sender, category, product_ok, b1_ok, b2_ok)]: n items
    drawn (with replacement) by MIX from the manifest's send pairs."""
    rnd = random.Random(seed)
    kind_of = {t["mail"]: t["kind"] for t in m["targets"]}
    enabled = [p for p in m["people"] if not p["disabled"]]
    allowed = {k: set(v) for k, v in m["send_allowed"].items()}
    total = sum(share for share, *_ in MIX)
    items = []
    for share, kind, cat, ok in MIX:
        count = n * share // total
        for _ in range(count):
            if kind == "own":
                p = enabled[rnd.randrange(len(enabled))]
                pair = (p["mail"], p["mail"])
            else:
                pairs = m["send"][kind][cat]
                pair = tuple(pairs[rnd.randrange(len(pairs))])
            person, sender = pair
            if kind == "own":
                b1 = b2 = True
            else:
                b1 = person in allowed.get(sender, ())
                # b2: OX membership only, disabled or not; shared folders
                # have no owner but themselves
                b2 = (kind_of[sender] == "ox" and
                      (ok or cat == "disabled_person"))
            items.append((person, sender, cat, ok, b1, b2))
    while len(items) < n:     # rounding: top up with OX grants
        pairs = m["send"]["grant"]["ox"]
        person, sender = pairs[rnd.randrange(len(pairs))]
        items.append((person, sender, "ox", True, True, True))
    rnd.shuffle(items)
    return items


def write_items(path, items, col):
    """smtp-load's input; col: which expectation (3 product, 4 b1, 5 b2),
    None: every MAIL FROM must be accepted (no sender check)."""
    with open(path, "w") as f:
        for it in items:
            f.write("%d\t%s\t%s\t%s\n" % (1 if col is None else it[col],
                                          it[0], it[1], it[2]))
    return path


# --- the row -----------------------------------------------------------------

class PolicyRow:
    """Measures the policy-service row on `slapd` (a BenchSlapd with the
    directory of manifest `m`). bench: the Bench (args, log, host_cpu and
    host_shares through `tools`, the bench module)."""

    def __init__(self, bench, tools, slapd, m, policy_bin, load_bin):
        self.bench, self.tools, self.slapd, self.m = bench, tools, slapd, m
        self.args = bench.args
        self.policy_bin, self.load_bin = policy_bin, load_bin
        self.rows, self.notes, self.checks = [], [], []
        self.problems = []      # the row is incomplete or the daemon failed
        self.wrong_total = 0
        self.b1_on = False
        self.expect_lines = {}  # service -> [grant, refuse] lines due
        self.bin_ids, self.items = [], []
        self.ttl = harness.example_default("lookup_cache_ttl") or "?"

    def log(self, msg):
        self.bench.log("policy: " + msg)

    def plugin_conf(self, **extra):
        a = self.args
        ids = ("vmail" if harness._user_ids("vmail") else "nobody")
        grp = ("vmail" if harness._user_ids("vmail") else "nogroup")
        return harness.plugin_conf(
            ldap_uris=self.slapd.uri, ldap_base=harness.BASE_DN,
            ldap_bind_dn=harness.SERVICE_DN,
            ldap_bind_password=harness.SERVICE_PASSWORD,
            ldap_connections=a.ldap_connections,
            ldap_bind_connections=a.ldap_bind_connections,
            send_min_right="append", userdb_uid=ids, userdb_gid=grp,
            **extra)

    def set_b1(self, on):
        if on == self.b1_on:
            return
        rc, out = self.slapd.ldapmodify(b1_ldif(self.m, on))
        if rc != 0:
            raise RuntimeError("ldapmodify (b1 sender lists %s) failed: %s"
                               % ("add" if on else "delete", out[-2000:]))
        self.b1_on = on

    def run(self):
        a = self.args
        tmp = tempfile.mkdtemp(prefix="loginbench-policy-")
        os.chmod(tmp, 0o755)
        self.tmp = tmp
        items = workload(self.m, a.items, a.seed)
        self.items = items
        files = {
            "cold": write_items(os.path.join(tmp, "items-product.tsv"),
                                items, 3),
            "b1": write_items(os.path.join(tmp, "items-b1.tsv"), items, 4),
            "b2": write_items(os.path.join(tmp, "items-b2.tsv"), items, 5),
            "none": write_items(os.path.join(tmp, "items-none.tsv"), items,
                                None),
        }
        files["warm"] = files["cold"]
        have_policy = os.access(self.policy_bin, os.X_OK)
        # the binary may be rebuilt and reinstalled while the row runs
        self.bin_ids = [file_id(self.policy_bin)] if have_policy else []
        if not have_policy:
            self.problems.append(
                "%s missing: product rows not measured (scripts/build.sh "
                "installs it; --policy-bin for another path)"
                % self.policy_bin)
        daemons = {}
        pf = None
        try:
            services = {}
            if have_policy:
                for name, extra in (("cold", dict(lookup_cache_ttl=0)),
                                    ("warm", {})):
                    d = PolicyDaemon(self.policy_bin, tmp, name,
                                     self.plugin_conf(**extra))
                    daemons[name] = d
                    try:
                        d.start()
                    except RuntimeError as e:
                        # the baselines are still measured
                        self.problems.append("functional-policy (%s) did "
                                             "not start: %s" % (name, e))
                        self.log("FAILED: %s" % e)
                        continue
                    services[name] = [(
                        "smtpd_sender_restrictions",
                        "check_policy_service,unix:" + d.sock)]
            for kind in ("b2", "b1"):
                path = os.path.join(tmp, "senders-%s.cf" % kind)
                with open(path, "w") as f:
                    f.write(map_conf(self.slapd, kind))
                os.chmod(path, 0o644)
                services[kind] = [
                    ("smtpd_sender_login_maps", "ldap:" + path),
                    ("smtpd_sender_restrictions",
                     "reject_sender_login_mismatch")]
            # the harness's ceiling: the same SMTP work without a check
            services["none"] = [("smtpd_sender_restrictions", "")]
            pf = Postfix(os.path.join(tmp, "postfix"), services, {})
            pf.start()
            self.pf = pf
            order = [k for k in ("cold", "warm", "b2", "b1", "none")
                     if k in services]
            self.log("services %s on ports %s; %d items" % (
                order, pf.ports, len(items)))
            # warm-up: each item once per service (smtpd processes,
            # policy and LDAP connections set up), checked
            for key in order:
                self.set_b1(key == "b1")
                st = self.drive(key, files[key], 600, len(items),
                                once=True)
                self.count(key, "first pass", st)
            runs = {k: [] for k in order}
            for _ in range(max(1, a.repeat)):
                for key in order:
                    self.set_b1(key == "b1")
                    if key == "warm":
                        st = self.drive(key, files[key], 600,
                                        len(items), once=True)
                        self.count(key, "warm-up", st)
                    runs[key].append(self.measure(
                        key, files[key], daemons.get(key)))
            self.set_b1(False)
            best = min(range(len(runs[order[0]])), key=lambda i: max(
                runs[k][i]["other"] for k in order))
            for key in order:
                self.record(runs[key], best)
            self.check_logs(daemons, pf)
        except Exception as e:
            self.problems.append("policy row failed: %s" % e)
            self.log("FAILED: %s" % e)
        finally:
            try:
                self.set_b1(False)
            except Exception as e:
                self.problems.append("could not remove b1's sender lists "
                                     "from the directory: %s" % e)
            if have_policy:
                self.bin_ids.append(file_id(self.policy_bin))
            for d in daemons.values():
                d.stop()
                if d.exit_note:
                    self.problems.append("functional-policy (%s) %s" % (
                        d.name, d.exit_note))
            if pf is not None:
                pf.stop()
            if not harness.KEEP_TMP:
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                self.notes.append("policy row's files kept in %s" % tmp)
        return self

    def drive(self, key, path, seconds, max_n, once=False):
        """smtp-load on service `key`; also adds up the log lines the
        policy daemon of `key` must have written for these decisions."""
        cmd = [self.load_bin, "-p", str(self.pf.ports[key]), "-f", path,
               "-C", str(CONNS),
               "-t", str(seconds), "-n", str(max_n)]
        if once:
            cmd.append("-o")
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=seconds + 200)
        if r.returncode != 0:
            raise RuntimeError("smtp-load failed (exit %d): %s\nmaillog: %s"
                               % (r.returncode, r.stderr.strip(),
                                  harness._tail(self.pf.log_path, 10)))
        st = dict(examples=[], classes={})
        for line in r.stdout.splitlines():
            name, _, val = line.partition("=")
            if name == "example":
                st["examples"].append(val)
            elif name == "class":
                label, n, p50, p99 = val.split()
                st["classes"][label] = (int(n), float(p50), float(p99))
            else:
                st[name] = float(val)
        for k in ("done", "wrong", "temp", "accepted", "refused"):
            st[k] = int(st[k])
        # smtp-load hands out items in order from the first, cycled, and
        # waits for every decision it started
        exp = self.expect_lines.setdefault(key, [0, 0])
        full, rest = divmod(st["done"], len(self.items))
        for i, it in enumerate(self.items):
            if it[2] != "own_address":
                exp[0 if it[3] else 1] += full + (i < rest)
        return st

    def count(self, key, what, st):
        self.wrong_total += st["wrong"]
        self.checks.append((key, what, st["done"], st["refused"],
                            st["wrong"]))
        for e in st["examples"]:
            self.notes.append("WRONG policy %s (%s): %s" % (key, what, e))
        if st["wrong"]:
            self.log("%s %s: %d wrong of %d" % (key, what, st["wrong"],
                                                st["done"]))

    def measure(self, key, path, daemon):
        a, t = self.args, self.tools
        slapd_pid = self.slapd.proc.pid
        ops0 = self.slapd.op_counts()
        pf0 = _cpu_map(self.pf.pids())
        s0 = _cpu_map([slapd_pid])
        p0 = daemon.cpu() if daemon else 0.0
        h0, t0 = t.host_cpu(), time.monotonic()
        # 5x --max, as bench.py's cached phases: a warm service decides
        # 10 000+ a second and --seconds should bound it
        st = self.drive(key, path, a.seconds, a.max * 5)
        h1, t1 = t.host_cpu(), time.monotonic()
        p1 = daemon.cpu() if daemon else 0.0
        s1 = _cpu_map([slapd_pid])
        pf1 = _cpu_map(self.pf.pids())
        ops1 = self.slapd.op_counts()
        n = max(st["done"], 1)
        slapd_s, pf_s, pol_s = (_cpu_delta(s0, s1), _cpu_delta(pf0, pf1),
                                p1 - p0)
        ours = slapd_s + pf_s + pol_s + st["cpu_s"]
        label = LABELS[key] % self.ttl if key == "warm" else LABELS[key]
        row = dict(
            key=key, label=label, conc=CONNS, done=st["done"],
            rate=st["done"] / st["elapsed"], p50=st["p50_ms"],
            p99=st["p99_ms"], max=st["max_ms"],
            slapd_ms=slapd_s * 1000 / n,
            policy_ms=pol_s * 1000 / n if daemon else None,
            postfix_ms=pf_s * 1000 / n, driver_ms=st["cpu_s"] * 1000 / n,
            searches=(ops1.get("Search", 0) - ops0.get("Search", 0)) / n,
            binds=(ops1.get("Bind", 0) - ops0.get("Bind", 0)) / n,
            accepted=st["accepted"], refused=st["refused"],
            wrong=st["wrong"], temp=st["temp"], classes=st["classes"],
            **t.host_shares(h0, h1, t1 - t0, ours))
        self.count(key, "measured", st)
        self.log("%-36s %7.0f dec/s p50 %.2f p99 %.2f ms, slapd %.3f "
                 "policy %s postfix %.3f ms/dec, %.2f searches/dec, "
                 "refused %d/%d, wrong %d, other load %.0f%%" % (
                     label, row["rate"], row["p50"], row["p99"],
                     row["slapd_ms"],
                     "-" if daemon is None else "%.3f" % row["policy_ms"],
                     row["postfix_ms"], row["searches"], row["refused"],
                     row["done"], row["wrong"], row["other"]))
        return row

    def record(self, runs, pick):
        by_rate = sorted(runs, key=lambda r: r["rate"])
        row = dict(runs[pick])
        row["wrong"] = sum(r["wrong"] for r in runs)
        row["temp"] = sum(r["temp"] for r in runs)
        row["runs"] = len(runs)
        row["spread"] = (by_rate[0]["rate"], by_rate[-1]["rate"])
        row["rates"] = [r["rate"] for r in runs]
        row["p99s"] = [r["p99"] for r in runs]
        self.rows.append(row)

    def check_logs(self, daemons, pf):
        for d in daemons.values():
            text = d.log_text()
            bad = [l for l in text.splitlines()
                   if any(w in l.lower() for w in ("error", "fatal",
                                                   "panic", "warning"))]
            if bad:
                self.problems.append(
                    "functional-policy (%s) logged %d error/warning lines, "
                    "e.g. %s" % (d.name, len(bad), bad[0][:300]))
            granted = text.count("send-as granted:")
            refused = text.count("send-as refused:")
            deferred = text.count("send-as deferred:")
            due = self.expect_lines.get(d.name, [0, 0])
            self.notes.append(
                "functional-policy (%s) log: %d granted, %d refused, %d "
                "deferred lines, for %d grants and %d refusals of "
                "functional senders" % (d.name, granted, refused, deferred,
                                        due[0], due[1]))
            if (granted, refused, deferred) != (due[0], due[1], 0):
                self.problems.append(
                    "functional-policy (%s) logged %d granted / %d refused /"
                    " %d deferred lines for %d grants and %d refusals (the "
                    "interface: one line per decision)" % (
                        d.name, granted, refused, deferred, due[0], due[1]))
        text = pf.log_text()
        bad = [l for l in text.splitlines()
               if ("warning:" in l or "fatal:" in l or "panic:" in l or
                   "error:" in l) and "improper command pipelining" not in l]
        if bad:
            self.problems.append("Postfix logged %d warning/error lines, "
                                 "e.g. %s" % (len(bad), bad[0][:300]))

    # report --------------------------------------------------------------
    def find(self, key):
        for r in self.rows:
            if r["key"] == key:
                return r
        return None

    def ratio(self, row, base):
        a, b = row["rates"], base["rates"]
        if len(a) > 1 and len(a) == len(b):
            return sorted(x / y for x, y in zip(a, b))[len(a) // 2]
        return row["rate"] / base["rate"]

    def report(self, w):
        a = self.args
        w("")
        w("policy service: send-as decisions at %d concurrent Postfix SMTP "
          "connections (Postfix %s, smtpd_delay_reject = no: one decision "
          "per MAIL FROM; XCLIENT LOGIN sets the SASL login); %s: %s"
          % (CONNS, postfix_version(), self.policy_bin,
             self.bin_ids[0] if self.bin_ids else "missing"))
        if len(set(self.bin_ids)) > 1:
            w("WARNING: %s was replaced while the row ran (the daemons "
              "measured were started from the first): %s" % (
                  self.policy_bin, " -> ".join(self.bin_ids)))
        w("request mix: %d distinct person/sender pairs, cycled: %s" % (
            len(self.items), ", ".join("%d%% %s" % (s, c)
                                       for s, _, c, _ in MIX)))
        cols = "%-36s %3s %7s %6s %7s %6s %6s %6s %5s %4s %4s %3s %5s %6s %6s"
        hdr = cols % ("what", "K", "dec/s", "p50", "p99", "slapd", "policy",
                      "postfx", "srch", "ref", "cpu", "oth", "wrong",
                      "x B1", "x B2")
        w(hdr)
        w(cols % ("", "", "", "ms", "ms", "ms/dc", "ms/dc", "ms/dc", "/dec",
                  "%", "%", "%", "", "", ""))
        w("-" * len(hdr))
        b1, b2 = self.find("b1"), self.find("b2")
        for r in self.rows:
            x1 = ("%.2fx" % self.ratio(r, b1)
                  if b1 and r["key"] in ("cold", "warm") else "")
            x2 = ("%.2fx" % self.ratio(r, b2)
                  if b2 and r["key"] in ("cold", "warm") else "")
            wrong = str(r["wrong"]) + ("(%dt)" % r["temp"] if r["temp"]
                                       else "")
            w(cols % (r["label"], r["conc"], "%.0f" % r["rate"],
                      "%.2f" % r["p50"], "%.2f" % r["p99"],
                      "%.3f" % r["slapd_ms"],
                      "-" if r["policy_ms"] is None else
                      "%.3f" % r["policy_ms"], "%.3f" % r["postfix_ms"],
                      "%.2f" % r["searches"],
                      "%.0f" % (100.0 * r["refused"] / max(r["done"], 1)),
                      "%.0f" % r["host"], "%.0f" % r["other"], wrong, x1,
                      x2))
        if self.rows and self.rows[0].get("runs", 1) > 1:
            w("  %d interleaved rounds (after one checked pass of every "
              "item per service); rates of the round with the least other "
              "load, x = median of the rounds' own ratios; dec/s min-max: "
              "%s; p99 ms per round: %s" % (
                  self.rows[0]["runs"], "; ".join(
                      "%s %.0f-%.0f" % ((r["key"],) + r["spread"])
                      for r in self.rows), "; ".join(
                      "%s %s" % (r["key"], "/".join("%.1f" % x
                                                    for x in r["p99s"]))
                      for r in self.rows)))
        if self.rows:
            w("  p50/p99 ms per class of the mix (the rounds shown):")
            for r in self.rows:
                w("    %-5s %s" % (r["key"], ", ".join(
                    "%s %.1f/%.1f" % (label, v[1], v[2])
                    for label, v in sorted(r["classes"].items()))))
        drv = "; ".join("%s %.3f" % (r["key"], r["driver_ms"])
                        for r in self.rows)
        if drv:
            w("  load generator's own CPU (smtp-load), ms/decision: " + drv)
        # what the maps cannot express
        n = max(len(self.items), 1)
        diff = {}
        for it in self.items:
            if it[5] != it[3]:
                diff[it[2]] = diff.get(it[2], 0) + 1
        w("  B1: smtpd_sender_login_maps = ldap: query_filter "
          "(mailPrimaryAddress=%%u@%%d), result_attribute = mail, "
          "mailPrimaryAddress; the `mail` values (%d for %d targets: every "
          "person allowed to send as each) are not in UCS: written by the "
          "benchmark for its measurement only, computed with the same rules "
          "(send_min_right = append, groups, disabled people); someone "
          "would have to keep them current" % (
              sum(len(v) for v in self.m["send_allowed"].values()),
              len(self.m["targets"])))
        w("  B2: the same map on the UCS data as it is (special_result_"
          "attribute = uniqueMember, leaf_result_attribute = "
          "mailPrimaryAddress: 1 search + 1 per member DN). It cannot "
          "express shared-folder ACLs (refuses every shared-folder "
          "sender) nor disabled members (accepts them): %d of %d decisions "
          "of the mix (%.0f%%) differ from the rules (%s); its `wrong` is "
          "counted against what the map means, not against the rules" % (
              sum(diff.values()), n, 100.0 * sum(diff.values()) / n,
              ", ".join("%s %d" % kv for kv in sorted(diff.items()))))
        w("  cold = lookup_cache_ttl = 0 (every decision searches: person, "
          "target and, unless a rule naming the person grants, the "
          "person's groups); warm = "
          "lookup_cache_ttl %s (the default) after one pass over the items "
          "just before the measurement" % self.ttl)
        w("  columns: dec/s = decisions (MAIL FROM replies) per second; "
          "p50/p99 = MAIL FROM to its reply; slapd / policy / postfx = CPU "
          "ms per decision of slapd, of functional-policy, of all Postfix "
          "processes (smtpd x %d, postlogd, ...); srch = LDAP searches per "
          "decision; ref = refused share; x B1 / x B2 = rate / the "
          "baseline's" % CONNS)
        for c in self.checks:
            if c[1] == "first pass":
                w("  checked pass %-5s %5d decisions (%d refused): %d wrong"
                  % (c[0], c[2], c[3], c[4]))
        for note in self.notes:
            w("  " + note)
        for p in self.problems:
            w("  PROBLEM: " + p)


def missing_packages(names):
    """Those of the Debian packages `names` that are not installed (none
    where there is no dpkg-query)."""
    missing = []
    for name in names:
        try:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True,
                               timeout=30)
        except (OSError, subprocess.SubprocessError):
            return []
        if "install ok installed" not in r.stdout:
            missing.append(name)
    return missing


def postfix_version():
    try:
        r = subprocess.run(["postconf", "-d", "-h", "mail_version"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, timeout=30)
        return r.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"
