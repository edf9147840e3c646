"""Sending as a functional account through a real Postfix: functional-policy
(the Postfix policy service) end to end, and its socket protocol raw.

Real slapd (fixtures/directory.ldif plus one entry added below), real
Dovecot including dovecot-example.conf with the installed module (Postfix
authenticates SMTP logins through Dovecot's auth service over TCP), a real
Postfix 3.7 (postfix.py: texthash: sender-login map of the people's own
addresses with reject_known_sender_login_mismatch, then
check_policy_service in smtpd_sender_restrictions), the installed
/usr/local/sbin/functional-policy (else ./functional-policy of the build
tree) and smtplib as the mail client. Classes:

  SendAsTest            defaults (send_min_right = append,
                        smtp_functional_logins = no), lookup_cache_ttl = 0:
                        who may send as which account (members, every ACL
                        right level, groups, nested groups, an explicit
                        `none`, disabled people, non-members), what is left
                        to Postfix (empty sender, own address, the site's
                        map for other people's addresses), the audit line,
                        directory down (451 4.3.0), policy service down
                        (Postfix's default_action, 451 4.3.5), composite and
                        authzid SMTP logins refused
  SendMinRightWriteTest send_min_right = write through Postfix
  FunctionalLoginsTest  smtp_functional_logins = yes: composite and authzid
                        SMTP logins need max(min_right, send_min_right)
  SpawnModeTest         the daemon run by Postfix's spawn(8) as nobody,
                        one connection on stdin/stdout
  PolicyProtocolTest    the socket without Postfix: answers, malformed and
                        hostile requests (never action=OK), framing limits,
                        2000 requests on one connection, connection limit,
                        idle timeout, SIGHUP reload, SIGTERM
  SendMinRightLevelsTest every send_min_right against every ACL right level
                        (raw socket)

With smtpd_delay_reject = yes (Postfix's default, and UCS's) Postfix
evaluates smtpd_sender_restrictions at RCPT TO, once per recipient, so the
policy's answer is the RCPT reply; the first query of a transaction has
no queue id yet (queue_id=- in the audit line), later ones have it.
Refused SMTP AUTHs go with XCLIENT ADDR=<unique 10.x address>: Dovecot
penalises failed logins per client IP (every auth from that IP waits up
to 15 s afterwards), which must not slow the other tests from 127.0.0.1.
Everything listens on 127.0.0.1 only and is stopped by the class cleanups,
also on failure. Run from the top of the project:

    FA_REQUIRE_MODULE=1 python3 -m unittest tests.integration.test_sendas -v

Without the module or the daemon the tests are skipped, unless
FA_REQUIRE_MODULE=1 is set: then a missing one is a failure.
"""

import concurrent.futures
import os
import random
import re
import signal
import socket
import stat
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import postfix  # noqa: E402

PASSWORDS = dict(harness.PASSWORDS, **{
    name: name + "-secret" for name in (
        "frank", "grace", "henry", "ivan", "judy", "kim", "leo", "mike",
        "nina", "oscar", "paula", "quentin", "rachel", "sam")})

# The site's own sender-login map: every person owns their own addresses
# (what ldap.saslusermapping would give); functional accounts are not in
# it, so reject_known_sender_login_mismatch leaves them to the policy.
SITE_SENDER_LOGINS = dict(
    {"%s@example.com" % p: "%s@example.com" % p for p in PASSWORDS
     if p not in ("alice2", "dovecot", "admin")},
    **{"alice.example@example.com": "alice@example.com"})

DISABLED_FILTER = "(univentionObjectFlag=disabled)"

# Added to the fixture by setUpClass: an ACL naming a group that is only
# reached through a group in a group (nina: ox-subteam in ox-team).
NESTED_ACL_LDIF = """dn: cn=nested-acl@example.com,cn=mail,dc=example,dc=com
changetype: add
objectClass: univentionMailSharedFolder
cn: nested-acl@example.com
mailPrimaryAddress: nested-acl@example.com
univentionMailACL: ox-team append
"""

RIGHT_LEVELS = ("read", "post", "append", "write", "all")

NOT_ALLOWED = "not allowed to send as this functional account"
TEMP_FAILURE = "temporary failure, try again later"
MALFORMED = "451 4.3.0 malformed policy request"

GRANT_RE = re.compile(
    r"send-as granted: (?P<person>\S+) as (?P<account>\S+) by (?P<rule>.+) "
    r"\(right (?P<right>\w+), client=(?P<client>[^,]+), "
    r"queue_id=(?P<queue_id>[^)]*)\)$")
REFUSAL_RE = re.compile(
    r"send-as refused: (?P<login>\S+) as (?P<account>\S+): (?P<reason>.+) "
    r"\(client=(?P<client>[^,]+), queue_id=(?P<queue_id>[^)]*)\)$")


def address(person):
    return person if "@" in person else person + "@example.com"


def password(person):
    return PASSWORDS[person.split("@")[0]]


def policy_rejection(sender):
    """The RCPT reply Postfix makes of the policy's REJECT (the policy's
    own text after Postfix's "<sender>: Sender address rejected: ")."""
    return (554, "5.7.1 <%s>: Sender address rejected: <%s>: %s"
            % (sender, sender, NOT_ALLOWED))


def policy_deferral(sender):
    return (451, "4.3.0 <%s>: Sender address rejected: <%s>: %s"
            % (sender, sender, TEMP_FAILURE))


def default_action_reply(sender):
    """Postfix's reply when the policy service cannot be reached: the
    check_policy_service default_action of postfix.py."""
    code, _, text = postfix.Postfix.DEFAULT_ACTION.partition(" ")
    dsn, _, words = text.partition(" ")
    return (int(code), "%s <%s>: Sender address rejected: %s"
            % (dsn, sender, words))


def site_map_rejection(sender, login):
    return (553, "5.7.1 <%s>: Sender address rejected: not owned by user %s"
            % (sender, login))


def send_as_lines(text):
    return [line for line in text.splitlines() if "send-as " in line]


def grant_lines(text, account=None):
    out = []
    for line in text.splitlines():
        m = GRANT_RE.search(line)
        if m and (account is None or m.group("account") == account):
            out.append(m)
    return out


def refusal_lines(text, account=None):
    out = []
    for line in text.splitlines():
        m = REFUSAL_RE.search(line)
        if m and (account is None or m.group("account") == account):
            out.append(m)
    return out


def require_binaries():
    """The module (for Dovecot) and the daemon, or skip (fail with
    FA_REQUIRE_MODULE=1)."""
    harness.require_module()
    return postfix.require_policy_binary(unittest)


def policy_conf_text(ldap_uri, **settings):
    """functional-accounts.conf for the test directory, for a daemon that
    runs without a Dovecot beside it (no @...@ placeholders left)."""
    nobody = harness._user_ids("nobody")
    values = dict(userdb_home="/var/vmail/%d/%n",
                  userdb_uid=str(nobody[0]), userdb_gid=str(nobody[1]))
    values.update(settings)
    return harness.fixture_plugin_conf(ldap_uri, **values)


def start_slapd(cls):
    cls.slapd = harness.Slapd()
    cls.addClassCleanup(cls.slapd.cleanup)
    rc, out = cls.slapd.ldapmodify(NESTED_ACL_LDIF)
    if rc != 0:
        raise RuntimeError("ldapmodify: %s" % out)


# --- through Postfix ---------------------------------------------------------

class _PostfixCase(unittest.TestCase):
    """slapd, Dovecot (auth over TCP for Postfix), the standalone policy
    daemon and Postfix, once per class; helpers. No tests here."""
    maxDiff = None
    # plugin settings, for Dovecot's module and the daemon alike (one file)
    settings = {}
    # site map entries beyond SITE_SENDER_LOGINS
    sender_logins = {}

    @classmethod
    def setUpClass(cls):
        cls.binary = require_binaries()
        start_slapd(cls)
        cls.auth_port = harness.free_port()
        settings = dict(lookup_cache_ttl=0, ldap_timeout=3,
                        person_disabled_filter=DISABLED_FILTER)
        settings.update(cls.settings)
        conf = harness.fixture_plugin_conf(cls.slapd.uri, **settings)
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=conf, ldap_uri=cls.slapd.uri,
            extra_conf=postfix.dovecot_auth_inet_conf(cls.auth_port))
        cls.addClassCleanup(cls.dovecot.cleanup)
        harness._wait_for(lambda: harness._listening(cls.auth_port), 30,
                          "dovecot auth inet_listener on %d" % cls.auth_port,
                          cls.dovecot.proc, cls.dovecot._startup_log)
        cls.policy = postfix.PolicyDaemon(cls.dovecot._fill(conf),
                                          binary=cls.binary)
        cls.addClassCleanup(cls.policy.cleanup)
        cls.postfix = postfix.Postfix(
            cls.auth_port, policy="unix:" + cls.policy.socket_path,
            sender_logins=dict(SITE_SENDER_LOGINS, **cls.sender_logins))
        cls.addClassCleanup(cls.postfix.cleanup)

    # --- helpers -------------------------------------------------------------

    def send_as(self, person, sender, **kw):
        """One SMTP session: AUTH PLAIN as the person's own address, MAIL
        FROM:<sender>, RCPT TO, DATA if accepted."""
        return postfix.smtp_send_as(self.postfix.port, address(person),
                                    password(person), sender, **kw)

    def policy_log_since(self, mark, done=lambda text: True):
        return harness.wait_log(self.policy, mark, done, harness.PATIENCE)

    def assertAccepted(self, res, what=""):
        self.assertEqual(res.auth[0], 235, "%s: AUTH %r" % (what, res))
        self.assertEqual(res.mail[0], 250, "%s: MAIL %r" % (what, res))
        self.assertEqual(res.rcpt, (250, "2.1.5 Ok"), "%s: RCPT %r"
                         % (what, res))
        self.assertEqual(res.data[0], 250, "%s: DATA %r" % (what, res))

    def assertGranted(self, person, account, right=None, rule_words=()):
        """person sends as account through Postfix: accepted, and the
        daemon logs exactly one grant line for it, naming person, account,
        rule, right, client 127.0.0.1 and queue id (none yet: '-')."""
        mark = self.policy.log_size()
        res = self.send_as(person, account)
        self.assertAccepted(res, "%s as %s" % (person, account))
        log = self.policy_log_since(mark, lambda t: grant_lines(t, account))
        grants = grant_lines(log, account)
        self.assertEqual(len(grants), 1, "expected one grant line:\n" + log)
        g = grants[0]
        self.assertEqual(g.group("person"), address(person), log)
        self.assertEqual(g.group("client"), "127.0.0.1", log)
        self.assertEqual(g.group("queue_id"), "-", log)
        if right is not None:
            self.assertEqual(g.group("right"), right, log)
        for word in rule_words:
            self.assertIn(word, g.group("rule"), log)
        self.assertEqual(refusal_lines(log), [], log)
        return g

    def assertRefused(self, person, account):
        """person may not send as account: the policy's REJECT as the RCPT
        reply, nothing queued, one refusal line, no grant line."""
        mark = self.policy.log_size()
        res = self.send_as(person, account)
        self.assertEqual(res.auth[0], 235, res)
        self.assertEqual(res.mail, (250, "2.1.0 Ok"), res)
        self.assertEqual(res.rcpt, policy_rejection(account), res)
        self.assertIsNone(res.data, res)
        log = self.policy_log_since(mark, lambda t: refusal_lines(t, account))
        refusals = refusal_lines(log, account)
        self.assertEqual(len(refusals), 1, "expected one refusal line:\n"
                         + log)
        self.assertEqual(refusals[0].group("login"), address(person), log)
        self.assertEqual(refusals[0].group("client"), "127.0.0.1", log)
        self.assertTrue(refusals[0].group("reason").strip(), log)
        self.assertEqual(grant_lines(log), [], log)
        return refusals[0]

    def refused_auths(self, logins):
        """SMTP AUTH PLAIN for each (authcid, authzid) in logins, all at
        once (each failure waits auth_failure_delay), each from its own
        XCLIENT address. Returns [(auth reply, Dovecot log lines of that
        address)] in order."""
        rips = [harness.unique_rip() for _ in logins]
        mark = self.dovecot.log_size()

        def one(args):
            (authcid, authzid), rip = args
            with postfix.SMTPSession(self.postfix.port, authcid,
                                     password(re.split(r"[/*]", authcid)[0]),
                                     authzid=authzid,
                                     xclient_addr=rip) as s:
                return s.auth
        with concurrent.futures.ThreadPoolExecutor(len(logins)) as pool:
            replies = list(pool.map(one, zip(logins, rips)))
        log = harness.wait_log(self.dovecot, mark, lambda text: all(
            harness.request_lines(text, rip) for rip in rips), 5)
        return [(reply, harness.request_lines(log, rip))
                for reply, rip in zip(replies, rips)]


class SendAsTest(_PostfixCase):
    """The defaults: send_min_right = append, smtp_functional_logins = no."""

    # --- granted -------------------------------------------------------------

    def test_direct_member_sends_as_ox_account(self):
        self.assertGranted("alice", "info@example.com", right="all",
                           rule_words=("uniqueMember",))

    def test_address_extension_is_the_account(self):
        # info+orders@ is info@'s address (recipient_delimiter = +, the
        # default): decided as info@, not left to the site's checks
        mark = self.policy.log_size()
        self.assertAccepted(self.send_as("alice", "info+orders@example.com"))
        log = self.policy_log_since(
            mark, lambda t: grant_lines(t, "info@example.com"))
        self.assertEqual(len(grant_lines(log, "info@example.com")), 1, log)
        self.assertRefused("bob", "info+orders@example.com")

    def test_acl_levels_against_default_send_min_right_append(self):
        for level in RIGHT_LEVELS:
            account = "level-%s@example.com" % level
            with self.subTest(level=level):
                if RIGHT_LEVELS.index(level) >= RIGHT_LEVELS.index("append"):
                    self.assertGranted("frank", account, right=level,
                                       rule_words=("univentionMailACL",
                                                   "frank@example.com"))
                else:
                    self.assertRefused("frank", account)

    def test_refusal_reason_names_right_and_send_min_right(self):
        refusal = self.assertRefused("frank", "level-read@example.com")
        reason = refusal.group("reason")
        self.assertIn("read", reason)
        self.assertIn("send_min_right", reason)

    def test_group_acl_write_grants(self):
        # erin is in support: helpdesk@ "support write"
        self.assertGranted("erin", "helpdesk@example.com", right="write",
                           rule_words=("support",))
        # judy: developers write + testers read -> the strongest, write
        self.assertGranted("judy", "projects@example.com", right="write",
                           rule_words=("developers",))

    def test_group_acl_below_send_min_right_refused(self):
        # leo: only "Project Team post"; grace: her own value read wins
        # over developers write
        self.assertRefused("leo", "projects@example.com")
        self.assertRefused("grace", "projects@example.com")

    def test_nested_group_member_of_ox_account(self):
        # team@ lists ox-team, which lists ox-subteam, which lists nina
        self.assertGranted("nina", "team@example.com", right="all",
                           rule_words=("uniqueMember",))
        self.assertGranted("mike", "team@example.com", right="all")

    def test_nested_group_in_acl(self):
        # nested-acl@ "ox-team append": nina only through ox-subteam
        self.assertGranted("nina", "nested-acl@example.com", right="append",
                           rule_words=("ox-team",))

    def test_explicit_none_overrides_group_grant(self):
        # henry: "henry@example.com none", and developers write by memberUid
        self.assertRefused("henry", "projects@example.com")

    def test_disabled_people_refused(self):
        # crew@ lists quentin (shadowExpire 1), rachel (flag), sam, frank
        self.assertRefused("quentin", "crew@example.com")
        self.assertRefused("rachel", "crew@example.com")
        self.assertGranted("sam", "crew@example.com", right="all")

    def test_non_member_refused(self):
        self.assertRefused("bob", "info@example.com")
        self.assertRefused("carol", "sales@example.com")

    def test_sender_in_other_case_is_the_same_account(self):
        mark = self.policy.log_size()
        res = self.send_as("bob", "INFO@example.com")
        self.assertEqual(res.rcpt, policy_rejection("INFO@example.com"), res)
        res = self.send_as("alice", "Info@Example.com")
        self.assertAccepted(res)
        log = self.policy_log_since(mark, lambda t: grant_lines(t))
        self.assertEqual(len(grant_lines(log)), 1, log)

    # --- left to Postfix -----------------------------------------------------

    def assertNoPolicyDecision(self, mark):
        time.sleep(0.2)  # a line written late would still show
        log = self.policy.log_text(since=mark)
        self.assertEqual(send_as_lines(log), [], log)

    def test_empty_sender_is_accepted(self):
        mark = self.policy.log_size()
        res = self.send_as("bob", "")
        self.assertAccepted(res, "MAIL FROM:<>")
        self.assertNoPolicyDecision(mark)

    def test_own_address_is_accepted(self):
        mark = self.policy.log_size()
        self.assertAccepted(self.send_as("alice", "alice@example.com"))
        self.assertAccepted(self.send_as("alice",
                                         "alice.example@example.com"))
        self.assertNoPolicyDecision(mark)

    def test_other_persons_address_refused_by_site_map(self):
        mark = self.policy.log_size()
        res = self.send_as("alice", "bob@example.com")
        self.assertEqual(res.rcpt, site_map_rejection("bob@example.com",
                                                      "alice@example.com"),
                         res)
        self.assertIsNone(res.data)
        # the site's map decided; the policy was not asked
        self.assertNoPolicyDecision(mark)

    def test_unknown_address_is_left_to_the_site_check(self):
        # not a functional account: DUNNO, and the site's check, which
        # refuses addresses the login does not own, decides
        mark = self.policy.log_size()
        res = self.send_as("alice", "news@example.org")
        self.assertEqual(res.rcpt, site_map_rejection("news@example.org",
                                                      "alice@example.com"),
                         res)
        self.assertNoPolicyDecision(mark)

    # --- the audit line ------------------------------------------------------

    def test_one_audit_line_per_query_and_queue_id_once_known(self):
        """Two recipients: Postfix asks once per RCPT (smtpd_delay_reject
        = yes); the second query carries the queue id Postfix logs."""
        mark = self.policy.log_size()
        pf_mark = self.postfix.log_size()
        res = self.send_as("alice", "info@example.com",
                           recipients=("one@example.org", "two@example.org"))
        self.assertEqual([r[0] for r in res.rcpts], [250, 250], res)
        self.assertEqual(res.data[0], 250, res)
        queue_id = res.data[1].rsplit(" ", 1)[-1]
        log = self.policy_log_since(mark, lambda t: len(grant_lines(t)) >= 2)
        grants = grant_lines(log, "info@example.com")
        self.assertEqual(len(grants), 2, log)
        self.assertEqual(grants[0].group("queue_id"), "-", log)
        self.assertEqual(grants[1].group("queue_id"), queue_id, log)
        pf_log = harness.wait_log(self.postfix, pf_mark,
                                  lambda t: queue_id in t)
        self.assertIn("%s: client=localhost[127.0.0.1], sasl_method=PLAIN, "
                      "sasl_username=alice@example.com" % queue_id, pf_log)

    def test_audit_line_is_one_line_with_no_secrets(self):
        mark = self.policy.log_size()
        self.assertAccepted(self.send_as("alice", "info@example.com"))
        log = self.policy_log_since(mark, lambda t: grant_lines(t))
        for pw in PASSWORDS.values():
            self.assertNotIn(pw, self.policy.log_text())
        line = [l for l in log.splitlines() if "send-as granted" in l]
        self.assertEqual(len(line), 1, log)
        self.assertRegex(line[0], r"send-as granted: alice@example\.com as "
                         r"info@example\.com by uniqueMember \(person\) "
                         r"\(right all, client=127\.0\.0\.1, queue_id=-\)$")

    # --- failures ------------------------------------------------------------

    def test_directory_down_defers(self):
        """slapd stops after the daemon started, the cache is cold
        (lookup_cache_ttl = 0): 451 4.3.0, never a grant or a refusal;
        sending works again once slapd is back."""
        session = postfix.SMTPSession(self.postfix.port, "alice@example.com",
                                      password("alice"))
        try:
            self.assertTrue(session.authenticated, session.auth)
            mark = self.policy.log_size()
            self.slapd.stop()
            try:
                res = session.send_as("info@example.com")
                other = session.send_as("sales@example.com")
            finally:
                self.slapd.start()
        finally:
            session.close()
        self.assertEqual(res.rcpt, policy_deferral("info@example.com"), res)
        self.assertIsNone(res.data)
        # alice is no member of sales@: still only deferred, not refused
        self.assertEqual(other.rcpt, policy_deferral("sales@example.com"),
                         other)
        log = self.policy_log_since(
            mark, lambda t: t.count("send-as deferred") >= 2)
        self.assertEqual(grant_lines(log), [], log)
        self.assertEqual(refusal_lines(log), [], log)
        deferred = [l for l in log.splitlines() if "send-as deferred" in l]
        self.assertEqual(len(deferred), 2, log)
        self.assertIn("info@example.com", deferred[0])
        # back: granted again (the daemon reconnects by itself)
        deadline = time.monotonic() + harness.PATIENCE
        while True:
            res = self.send_as("alice", "info@example.com")
            if res.rcpt and res.rcpt[0] == 250:
                break
            self.assertEqual(res.rcpt, policy_deferral("info@example.com"))
            self.assertLess(time.monotonic(), deadline, res)
            time.sleep(0.5)
        self.assertAccepted(res)

    def test_policy_service_down_uses_default_action(self):
        """The daemon stopped (SIGTERM: exits 0, removes its socket):
        Postfix's default_action; ordinary mail goes the same way (the
        check runs for every sender), and all is well once it is back."""
        rc = self.policy.terminate()
        try:
            self.assertEqual(rc, 0, self.policy.startup_log())
            self.assertFalse(os.path.exists(self.policy.socket_path))
            res = self.send_as("alice", "info@example.com")
            self.assertEqual(res.rcpt, default_action_reply(
                "info@example.com"), res)
            self.assertIsNone(res.data)
        finally:
            self.policy.start()
        deadline = time.monotonic() + harness.PATIENCE
        while True:
            res = self.send_as("alice", "info@example.com")
            if res.rcpt and res.rcpt[0] == 250 or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertAccepted(res)

    # --- SMTP logins ---------------------------------------------------------

    def test_functional_smtp_logins_refused_by_default(self):
        """smtp_functional_logins = no: composite and authzid SMTP logins
        fail (535) although alice may open info@ over IMAP; the plain login
        works."""
        results = self.refused_auths([
            ("alice@example.com/info@example.com", None),
            ("alice/info@example.com", None),
            ("alice@example.com*info@example.com", None),
            ("alice@example.com", "info@example.com"),
        ])
        for (reply, lines), login in zip(results, (
                "slash", "uid-slash", "star", "authzid")):
            with self.subTest(login=login):
                self.assertEqual(reply[0], 535, reply)
                self.assertTrue(reply[1].startswith("5.7.8 "), reply)
                self.assertTrue(any("smtp_functional_logins" in l
                                    for l in lines),
                                "no refusal naming smtp_functional_logins "
                                "in Dovecot's log:\n" + "\n".join(lines))
        # the same logins over IMAP are fine (service=imap is no sending
        # service), so the refusal above is the SMTP rule
        reply = harness.auth_client_login(
            self.dovecot.auth_socket, "alice@example.com/info@example.com",
            password("alice"), service="imap")
        self.assertTrue(reply.ok, reply.raw)
        reply = harness.auth_client_login(
            self.dovecot.auth_socket, "alice@example.com/info@example.com",
            password("alice"), service="smtp")
        self.assertFalse(reply.ok, reply.raw)
        reply = harness.auth_client_login(
            self.dovecot.auth_socket, "alice@example.com/info@example.com",
            password("alice"), service="submission")
        self.assertFalse(reply.ok, reply.raw)
        with postfix.SMTPSession(self.postfix.port, "alice@example.com",
                                 password("alice")) as s:
            self.assertEqual(s.auth, (235, "2.7.0 Authentication "
                                      "successful"))


class SendMinRightWriteTest(_PostfixCase):
    """send_min_right = write in the config."""
    settings = dict(send_min_right="write")

    def test_acl_levels_against_send_min_right_write(self):
        for level in RIGHT_LEVELS:
            account = "level-%s@example.com" % level
            with self.subTest(level=level):
                if RIGHT_LEVELS.index(level) >= RIGHT_LEVELS.index("write"):
                    self.assertGranted("frank", account, right=level)
                else:
                    refusal = self.assertRefused("frank", account)
                    self.assertIn("send_min_right write",
                                  refusal.group("reason"))

    def test_group_write_and_membership_still_grant(self):
        self.assertGranted("judy", "projects@example.com", right="write")
        self.assertGranted("alice", "info@example.com", right="all")
        self.assertRefused("nina", "nested-acl@example.com")


class FunctionalLoginsTest(_PostfixCase):
    """smtp_functional_logins = yes: composite/authzid SMTP logins need
    max(min_right, send_min_right) = append; IMAP keeps min_right = read."""
    settings = dict(smtp_functional_logins="yes")
    # a login as the account makes sasl_username the account: the policy
    # says DUNNO, and the site's map must know the account (README)
    sender_logins = {"level-append@example.com": "level-append@example.com"}

    def test_composite_smtp_login_needs_send_min_right(self):
        for level in RIGHT_LEVELS:
            login = "frank@example.com/level-%s@example.com" % level
            with self.subTest(level=level, login=login):
                if RIGHT_LEVELS.index(level) >= RIGHT_LEVELS.index("append"):
                    with postfix.SMTPSession(self.postfix.port, login,
                                             password("frank")) as s:
                        self.assertEqual(s.auth[0], 235, s.auth)
        below = [("frank@example.com/level-read@example.com", None),
                 ("frank@example.com/level-post@example.com", None),
                 ("frank@example.com", "level-read@example.com")]
        for (reply, lines), login in zip(self.refused_auths(below), below):
            with self.subTest(login=login):
                self.assertEqual(reply[0], 535, reply)
                self.assertTrue(any("send_min_right" in l for l in lines),
                                "\n".join(lines))
        # over IMAP read is enough (min_right)
        reply = harness.auth_client_login(
            self.dovecot.auth_socket,
            "frank@example.com/level-read@example.com", password("frank"),
            service="imap")
        self.assertTrue(reply.ok, reply.raw)

    def test_authzid_smtp_login_with_send_min_right(self):
        with postfix.SMTPSession(self.postfix.port, "frank@example.com",
                                 password("frank"),
                                 authzid="level-write@example.com") as s:
            self.assertEqual(s.auth[0], 235, s.auth)

    def test_composite_login_sends_as_its_account(self):
        """Postfix sees the account as sasl_username (Dovecot's user=);
        the login itself was the authorization, so sending as the
        account goes through."""
        pf_mark = self.postfix.log_size()
        res = postfix.smtp_send_as(
            self.postfix.port, "frank@example.com/level-append@example.com",
            password("frank"), "level-append@example.com")
        self.assertAccepted(res)
        pf_log = harness.wait_log(self.postfix, pf_mark,
                                  lambda t: "sasl_username=" in t)
        self.assertIn("sasl_username=level-append@example.com", pf_log)

    def test_plain_logins_still_go_through_the_policy(self):
        self.assertGranted("frank", "level-append@example.com")
        self.assertRefused("frank", "level-read@example.com")


class SpawnModeTest(unittest.TestCase):
    """master.cf: policy unix - n n - 0 spawn user=nobody argv=... -c CONF
    -l LOG; check_policy_service unix:private/policy."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.binary = require_binaries()
        start_slapd(cls)
        cls.auth_port = harness.free_port()
        conf = harness.fixture_plugin_conf(
            cls.slapd.uri, lookup_cache_ttl=0,
            person_disabled_filter=DISABLED_FILTER)
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=conf, ldap_uri=cls.slapd.uri,
            extra_conf=postfix.dovecot_auth_inet_conf(cls.auth_port))
        cls.addClassCleanup(cls.dovecot.cleanup)
        harness._wait_for(lambda: harness._listening(cls.auth_port), 30,
                          "dovecot auth inet_listener", cls.dovecot.proc,
                          cls.dovecot._startup_log)
        # config readable and log writable by nobody, in a directory nobody
        # can enter (the Postfix tmpdir is 0711)
        cls.postfix = postfix.Postfix(
            cls.auth_port, policy="unix:private/policy",
            sender_logins=SITE_SENDER_LOGINS, start=False)
        cls.addClassCleanup(cls.postfix.cleanup)
        pdir = os.path.join(cls.postfix.tmpdir, "policy")
        os.makedirs(pdir, mode=0o755)
        os.chmod(pdir, 0o755)
        cls.conf_path = os.path.join(pdir, "functional-accounts.conf")
        with open(cls.conf_path, "w") as f:
            f.write(cls.dovecot._fill(conf))
        os.chmod(cls.conf_path, 0o644)
        cls.log_path = os.path.join(pdir, "policy.log")
        nobody = harness._user_ids("nobody")
        with open(cls.log_path, "w"):
            pass
        os.chown(cls.log_path, *nobody)
        with open(os.path.join(cls.postfix.config_dir, "master.cf"),
                  "a") as f:
            f.write("policy unix - n n - 0 spawn\n"
                    "  user=nobody argv=%s -c %s -l %s\n"
                    % (cls.binary, cls.conf_path, cls.log_path))
        cls.postfix.start()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def test_granted_and_refused_through_spawn(self):
        res = postfix.smtp_send_as(self.postfix.port, "alice@example.com",
                                   password("alice"), "info@example.com")
        self.assertEqual(res.rcpt, (250, "2.1.5 Ok"), res)
        self.assertEqual(res.data[0], 250, res)
        res = postfix.smtp_send_as(self.postfix.port, "bob@example.com",
                                   password("bob"), "info@example.com")
        self.assertEqual(res.rcpt, policy_rejection("info@example.com"), res)
        deadline = time.monotonic() + harness.PATIENCE
        while time.monotonic() < deadline:
            log = self.log_text()
            if grant_lines(log) and refusal_lines(log):
                break
            time.sleep(0.1)
        grants = grant_lines(log, "info@example.com")
        self.assertEqual(len(grants), 1, log + self.postfix.log_text())
        self.assertEqual(grants[0].group("person"), "alice@example.com")
        self.assertEqual(grants[0].group("client"), "127.0.0.1")
        refusals = refusal_lines(log, "info@example.com")
        self.assertEqual(len(refusals), 1, log)
        self.assertEqual(refusals[0].group("login"), "bob@example.com")
        # spawn ran it as nobody, and Postfix saw no trouble
        self.assertNotRegex(self.postfix.log_text(),
                            r"spawn.*(fatal|warning)|problem talking")


# --- the socket, raw ---------------------------------------------------------

OK_REQ = dict(sender="info@example.com", sasl_username="alice@example.com")
REJECT_REQ = dict(sender="info@example.com", sasl_username="bob@example.com")
DUNNO_REQ = dict(sender="alice@example.com", sasl_username="alice@example.com")
OK_ACTION = "OK"
REJECT_ACTION = "REJECT 5.7.1 <info@example.com>: " + NOT_ALLOWED


def req(**attrs):
    return postfix.policy_request(**attrs)


def ok_request_lines():
    """The lines of a request that would be granted (alice as info@):
    anything malformed built from it must still never get OK."""
    return req(**OK_REQ).rstrip(b"\n").split(b"\n")


class _RawCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.binary = require_binaries()
        start_slapd(cls)

    def daemon(self, debug=False, **kw):
        """A fresh standalone daemon (stopped at the end of the test);
        settings in kw go into its config, except the daemon options
        idle_timeout, max_connections and mode."""
        opts = {k: kw.pop(k) for k in ("idle_timeout", "max_connections",
                                       "mode") if k in kw}
        d = postfix.PolicyDaemon(policy_conf_text(self.slapd.uri, **kw),
                                 binary=self.binary, debug=debug, **opts)
        self.addCleanup(d.cleanup)
        return d

    def connect(self, daemon, timeout=10):
        c = postfix.PolicyConnection(daemon.socket_path, timeout)
        self.addCleanup(c.close)
        return c

    def assertAction(self, conn, request, action):
        answer = conn.ask(request)
        self.assertIsNotNone(answer, "connection closed instead of an "
                             "answer to %r" % request[:200])
        self.assertEqual(answer, ["action=" + action], request[:300])


class PolicyProtocolTest(_RawCase):
    """One daemon (defaults, lookup_cache_ttl = 5) for the simple cases;
    tests that need other options start their own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shared = postfix.PolicyDaemon(
            policy_conf_text(cls.slapd.uri,
                             person_disabled_filter=DISABLED_FILTER),
            binary=cls.binary)
        cls.addClassCleanup(cls.shared.cleanup)

    def setUp(self):
        self.assertTrue(self.shared.running(), self.shared.startup_log())

    def tearDown(self):
        # whatever a test sent, the daemon is still there and correct
        self.assertTrue(self.shared.running(), self.shared.startup_log())
        with postfix.PolicyConnection(self.shared.socket_path) as c:
            self.assertEqual(c.ask(req(**OK_REQ)), ["action=OK"])

    def assertMalformedKeepsOpen(self, data):
        c = self.connect(self.shared)
        self.assertAction(c, data, MALFORMED)
        # the connection stays open and serves the next request
        self.assertAction(c, req(**OK_REQ), OK_ACTION)

    def assertMalformedCloses(self, data):
        """The 451 malformed answer, then the connection is closed (if the
        daemon closed while we were still sending, the answer may be lost
        with the rest; never an OK)."""
        expected = ("action=%s\n\n" % MALFORMED).encode()
        c = self.connect(self.shared)
        sent_all = True
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            sent_all = False
        self.assertTrue(c.closed_by_peer(10), "connection not closed; got "
                        "%r" % c.buf[:200])
        self.assertNotIn(b"action=OK", c.buf)
        if sent_all:
            self.assertEqual(c.buf, expected)
        else:
            self.assertIn(c.buf, (b"", expected))

    # --- answers -------------------------------------------------------------

    def test_answers(self):
        c = self.connect(self.shared)
        self.assertAction(c, req(**OK_REQ), OK_ACTION)
        self.assertAction(c, req(**REJECT_REQ), REJECT_ACTION)
        # not a functional account, empty sender, no SASL login: DUNNO
        self.assertAction(c, req(**DUNNO_REQ), "DUNNO")
        self.assertAction(c, req(sender="", sasl_username="alice@example."
                                 "com"), "DUNNO")
        self.assertAction(c, req(sender="info@example.com",
                                 sasl_username=""), "DUNNO")
        self.assertAction(c, req(sender="nobody@example.org",
                                 sasl_username="bob@example.com"), "DUNNO")
        # the account's own login (a composite SMTP login as Postfix sees
        # it): left to Postfix
        self.assertAction(c, req(sender="info@example.com",
                                 sasl_username="info@example.com"), "DUNNO")

    def test_hostile_and_unknown_logins_never_ok(self):
        c = self.connect(self.shared)
        for login in ("*", "nosuch@example.com", "alice@example.com)(uid=*",
                      "*)(objectClass=*", "uid=alice,cn=users,dc=example,"
                      "dc=com", "sales@example.com", "dave@example.com",
                      "alice@example.com/info@example.com"):
            with self.subTest(login=login):
                answer = c.ask(req(sender="info@example.com",
                                   sasl_username=login))
                self.assertEqual(answer, ["action=" + REJECT_ACTION])
        for sender in ("*", "info@example.com)(x=*", "*@example.com",
                       "info@example.com\\"):
            with self.subTest(sender=sender):
                answer = c.ask(req(sender=sender,
                                   sasl_username="bob@example.com"))
                self.assertNotEqual(postfix.action_of(answer), "OK", answer)

    def test_protocol_state_and_extra_attributes_do_not_matter(self):
        c = self.connect(self.shared)
        for state in ("RCPT", "MAIL"):
            self.assertAction(c, req(protocol_state=state, **OK_REQ),
                              OK_ACTION)
        self.assertAction(c, req(future_attribute="x=y", **OK_REQ),
                          OK_ACTION)

    # --- malformed: answered, connection stays open --------------------------

    def test_missing_request_attribute(self):
        self.assertMalformedKeepsOpen(req(request=None, **OK_REQ))

    def test_wrong_request_type(self):
        self.assertMalformedKeepsOpen(req(request="junk", **OK_REQ))

    def test_missing_sender(self):
        self.assertMalformedKeepsOpen(req(sender=None,
                                          sasl_username="alice@example.com"))

    def test_missing_sasl_username(self):
        self.assertMalformedKeepsOpen(req(sender="info@example.com",
                                          sasl_username=None))

    def test_duplicate_attribute(self):
        lines = ok_request_lines()
        for dup in (b"sender=alice@example.com", b"sender=info@example.com",
                    b"sasl_username=alice@example.com",
                    b"request=smtpd_access_policy"):
            with self.subTest(dup=dup):
                self.assertMalformedKeepsOpen(b"\n".join(lines + [dup])
                                              + b"\n\n")
        # the duplicate first: the later (granting) value must not win
        self.assertMalformedKeepsOpen(
            b"sasl_username=bob@example.com\n" + b"\n".join(lines) + b"\n\n")

    def test_line_without_equals(self):
        lines = ok_request_lines()
        self.assertMalformedKeepsOpen(b"\n".join(lines[:3] + [b"garbage"] +
                                                 lines[3:]) + b"\n\n")

    def test_malformed_requests_logged_as_warnings(self):
        mark = self.shared.log_size()
        self.assertMalformedKeepsOpen(req(request=None, **OK_REQ))
        log = harness.wait_log(self.shared, mark,
                               lambda t: "malformed" in t)
        self.assertIn("malformed", log)

    # --- framing broken: answered, then closed -------------------------------

    def test_overlong_line_closes(self):
        for size in (8193, 8200, 70000):
            with self.subTest(size=size):
                self.assertMalformedCloses(
                    b"\n".join(ok_request_lines()) + b"\nx=" +
                    b"a" * size + b"\n\n")

    def test_line_of_8192_bytes_is_no_framing_error(self):
        # "longer than 8192" is the limit: a line of exactly 8192 bytes
        # (without its newline) is answered like any request
        lines = ok_request_lines()
        filler = b"ccert_subject=" + b"a" * (8192 - len("ccert_subject="))
        lines = [l for l in lines if not l.startswith(b"ccert_subject=")]
        c = self.connect(self.shared)
        self.assertAction(c, b"\n".join(lines + [filler]) + b"\n\n",
                          OK_ACTION)

    def test_request_over_64k_closes(self):
        extra = [b"x%03d=%s" % (i, b"b" * 400) for i in range(200)]
        self.assertMalformedCloses(b"\n".join(ok_request_lines() + extra)
                                   + b"\n\n")

    def test_request_over_256_attributes_closes(self):
        extra = [b"x%03d=1" % i for i in range(300)]
        self.assertMalformedCloses(b"\n".join(ok_request_lines() + extra)
                                   + b"\n\n")

    def test_nul_byte_closes(self):
        for data in (req(sender="info@example.com\0",
                         sasl_username="alice@example.com"),
                     req(sender="info@example.com",
                         sasl_username="alice@example.com\0bob"),
                     b"\0" + req(**OK_REQ)):
            with self.subTest(data=data[:40]):
                self.assertMalformedCloses(data)

    def test_binary_garbage_never_ok(self):
        rnd = random.Random(4711)
        for i in range(8):
            garbage = bytes(rnd.getrandbits(8) for _ in range(3000))
            if i % 2:   # also without any NUL byte
                garbage = garbage.replace(b"\0", b"\x01")
            with self.subTest(i=i):
                c = self.connect(self.shared)
                try:
                    c.send(garbage + b"\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    continue
                # whatever comes until it closes or goes quiet
                c.closed_by_peer(1)
                self.assertNotIn(b"action=OK", c.buf)
                for answer in filter(None, c.buf.split(b"\n\n")):
                    self.assertEqual(answer, b"action=" + MALFORMED.encode())

    def test_unterminated_request_then_eof_is_not_granted(self):
        c = self.connect(self.shared)
        c.send(req(**OK_REQ).rstrip(b"\n") + b"\n")   # no empty line
        c.sock.shutdown(socket.SHUT_WR)
        self.assertTrue(c.closed_by_peer(10))
        self.assertNotIn(b"action=OK", c.buf)

    # --- volume --------------------------------------------------------------

    def test_2000_requests_on_one_connection(self):
        kinds = [(req(**OK_REQ), ["action=" + OK_ACTION]),
                 (req(**REJECT_REQ), ["action=" + REJECT_ACTION]),
                 (req(**DUNNO_REQ), ["action=DUNNO"]),
                 (req(request=None, **OK_REQ), ["action=" + MALFORMED])]
        c = self.connect(self.shared, timeout=30)
        deadline = time.monotonic() + 60
        total, batch = 2000, 100
        done = 0
        while done < total:
            self.assertLess(time.monotonic(), deadline, "too slow: %d of %d"
                            % (done, total))
            n = min(batch, total - done)
            picks = [kinds[(done + i) % len(kinds)] for i in range(n)]
            c.send(b"".join(p[0] for p in picks))
            for i, (_, expected) in enumerate(picks):
                answer = c.read_answer()
                self.assertEqual(answer, expected, "request %d" % (done + i))
            done += n
        self.assertEqual(done, total)
        self.assertEqual(c.buf, b"")

    def test_a_flood_of_pipelined_requests_is_answered_in_order(self):
        # 30000 empty requests in one write, read back concurrently: each
        # gets its answer and the service stays up (they are answered in a
        # loop, not by nested calls, however many are pipelined)
        c = self.connect(self.shared, timeout=30)
        count = 30000
        sender = threading.Thread(target=c.send, args=(b"\n" * count,))
        sender.start()
        for i in range(count):
            self.assertEqual(c.read_answer(), ["action=" + MALFORMED],
                             "request %d" % i)
        sender.join(30)
        self.assertFalse(sender.is_alive())
        self.assertTrue(self.shared.running())
        self.assertAction(c, req(**OK_REQ), OK_ACTION)

    # --- options -------------------------------------------------------------

    def test_socket_mode(self):
        d = self.daemon(mode="0600")
        self.assertEqual(stat.S_IMODE(os.stat(d.socket_path).st_mode), 0o600)
        d2 = self.daemon(mode=None)   # default 0660
        self.assertEqual(stat.S_IMODE(os.stat(d2.socket_path).st_mode),
                         0o660)

    def test_connection_limit(self):
        d = self.daemon(max_connections=2)
        c1, c2 = self.connect(d), self.connect(d)
        self.assertAction(c1, req(**OK_REQ), OK_ACTION)
        self.assertAction(c2, req(**OK_REQ), OK_ACTION)
        mark = d.log_size()
        c3 = self.connect(d)
        self.assertTrue(c3.closed_by_peer(10), "third connection not closed")
        self.assertEqual(c3.buf, b"")
        log = harness.wait_log(d, mark, lambda t: t.strip() != "")
        self.assertRegex(log, r"warning: .*", log)
        # the first two still work; once one goes, a new one is served
        self.assertAction(c1, req(**REJECT_REQ), REJECT_ACTION)
        c1.close()
        deadline = time.monotonic() + 10
        while True:
            c4 = self.connect(d)
            try:
                answer = c4.ask(req(**OK_REQ))
            except (ConnectionResetError, BrokenPipeError):
                answer = None
            if answer is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(answer, ["action=OK"])
        self.assertAction(c2, req(**OK_REQ), OK_ACTION)

    def idle_margin(self, d):
        """What may come on top of the idle timeout before the close is
        seen: 20 request round trips as this machine does them now."""
        def round_trip():
            with postfix.PolicyConnection(d.socket_path) as c:
                c.ask(req(**DUNNO_REQ))
        return 20 * harness.baseline_seconds(round_trip)

    def test_idle_timeout(self):
        """-t 1: an idle connection is closed after about a second: not
        before 1 s, and before 2 s (a timer checked once a second may be a
        second late) plus idle_margin()."""
        idle = 1
        d = self.daemon(idle_timeout=idle)

        def trial():
            margin = self.idle_margin(d)
            c = self.connect(d, timeout=idle * 2 + margin + 5)
            started = time.monotonic()
            closed = c.closed_by_peer()
            took = time.monotonic() - started
            self.assertTrue(closed, "idle connection never closed")
            self.assertGreaterEqual(took, idle - 0.05,
                                    "closed too early: %.2f s" % took)
            return took, 2 * idle + margin
        tries = harness.timing_tries(trial)
        self.assertLess(tries[-1][0], tries[-1][1], harness.format_tries(
            tries))

    def test_requests_keep_connection_open(self):
        """Requests every 0.4 s keep the connection open past 2 x idle."""
        idle = 1
        d = self.daemon(idle_timeout=idle)
        c = self.connect(d)
        started = time.monotonic()
        while time.monotonic() - started < 2.5 * idle:
            self.assertAction(c, req(**DUNNO_REQ), "DUNNO")
            time.sleep(0.4 * idle)
        self.assertAction(c, req(**OK_REQ), OK_ACTION)

    def test_idle_timeout_counts_complete_requests_only(self):
        """"no complete request for that long": a request trickled in a
        byte every 0.2 s, never finished, is closed like an idle one,
        within the bound of test_idle_timeout (else one client holds a
        connection slot for as long as it likes)."""
        idle = 1
        d = self.daemon(idle_timeout=idle)
        limit = 2 * idle + self.idle_margin(d)
        c = self.connect(d)
        data = req(**OK_REQ)
        started = time.monotonic()
        closed = False
        for i in range(len(data) - 2):   # never the final empty line
            try:
                c.send(data[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if c.closed_by_peer(0.2):
                closed = True
                break
            if time.monotonic() - started > 3 * limit:   # give up
                break
        took = time.monotonic() - started
        self.assertTrue(closed, "a request trickled in byte by byte kept "
                        "the connection open for %.1f s (idle timeout %d s)"
                        % (took, idle))
        self.assertGreaterEqual(took, idle - 0.05)
        self.assertLess(took, limit)
        self.assertNotIn(b"action=OK", c.buf)

    def test_sighup_reloads_and_keeps_old_config_when_broken(self):
        d = self.daemon(lookup_cache_ttl=0)
        append = req(sender="level-append@example.com",
                     sasl_username="frank@example.com")
        write = req(sender="level-write@example.com",
                    sasl_username="frank@example.com")
        rejected_append = ("REJECT 5.7.1 <level-append@example.com>: " +
                           NOT_ALLOWED)
        c = self.connect(d)
        self.assertAction(c, append, OK_ACTION)

        def answer_now():
            with postfix.PolicyConnection(d.socket_path) as c:
                return postfix.action_of(c.ask(append))
        d.write_conf(policy_conf_text(self.slapd.uri, lookup_cache_ttl=0,
                                      send_min_right="write"))
        d.reload()
        deadline = time.monotonic() + 10
        while answer_now() != rejected_append:
            self.assertLess(time.monotonic(), deadline,
                            "SIGHUP did not apply send_min_right = write:\n"
                            + d.log_text())
            time.sleep(0.1)
        self.assertTrue(d.running())
        with postfix.PolicyConnection(d.socket_path) as c2:
            self.assertAction(c2, write, OK_ACTION)
        # the connection from before the reload is served by the new rules
        self.assertAction(c, append, rejected_append)

        for broken in (policy_conf_text(self.slapd.uri, lookup_cache_ttl=0,
                                        send_min_right="superpowers"),
                       "this is not a config file\n",
                       None):
            with self.subTest(broken=(broken or "<missing file>")[:40]):
                mark = d.log_size()
                if broken is None:
                    os.remove(d.conf_path)
                else:
                    d.write_conf(broken)
                d.reload()
                log = harness.wait_log(d, mark, lambda t: "error" in t, 10)
                self.assertIn("error", log)
                self.assertTrue(d.running(), d.startup_log())
                with postfix.PolicyConnection(d.socket_path) as c3:
                    self.assertAction(c3, append, rejected_append)
                    self.assertAction(c3, write, OK_ACTION)

    def test_sigterm_exits_0_and_removes_socket(self):
        d = self.daemon()
        idle = self.connect(d)   # an open connection does not hold it up
        self.assertAction(idle, req(**DUNNO_REQ), "DUNNO")
        rc = d.terminate(timeout=10)
        self.assertEqual(rc, 0, d.startup_log())
        self.assertFalse(os.path.exists(d.socket_path))
        self.assertTrue(idle.closed_by_peer(5))

    def test_sigint_exits_0(self):
        d = self.daemon()
        d.proc.send_signal(signal.SIGINT)
        self.assertEqual(d.proc.wait(10), 0, d.startup_log())
        self.assertFalse(os.path.exists(d.socket_path))

    def test_bad_config_at_startup_exits_nonzero(self):
        d = postfix.PolicyDaemon(policy_conf_text(
            self.slapd.uri, send_min_right="superpowers"),
            binary=self.binary, start=False)
        self.addCleanup(d.cleanup)
        d._spawn(d.argv(), d.stdout_path)
        try:
            rc = d.proc.wait(10)
        except Exception:
            self.fail("started with a bad config")
        self.assertNotEqual(rc, 0)
        self.assertFalse(os.path.exists(d.socket_path))


class SendMinRightLevelsTest(_RawCase):
    """Every send_min_right against every right level frank holds."""

    def test_every_send_min_right_against_every_level(self):
        for minimum in RIGHT_LEVELS:
            d = self.daemon(send_min_right=minimum, lookup_cache_ttl=0)
            c = self.connect(d)
            for level in RIGHT_LEVELS:
                account = "level-%s@example.com" % level
                with self.subTest(send_min_right=minimum, level=level):
                    want = ("OK" if RIGHT_LEVELS.index(level) >=
                            RIGHT_LEVELS.index(minimum) else
                            "REJECT 5.7.1 <%s>: %s" % (account, NOT_ALLOWED))
                    self.assertAction(c, req(sender=account,
                                             sasl_username="frank@example."
                                             "com"), want)
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
