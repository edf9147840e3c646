"""The authorization model end to end (issue 4): who may open which
functional account, with which right, and what the session can then do.

Real slapd (fixtures/directory.ldif, its "Authorization stories" part),
real Dovecot including dovecot-example.conf with the installed module, real
clients (imaplib, poplib, Dovecot's auth-client socket, doveadm, the
installed functional-auth-explain). One slapd and one Dovecot per class;
classes differ in the plugin's or Dovecot's settings:

  AuthorizationTest     the example config (+ person_disabled_filter):
                        right levels over IMAP, ACL precedence, OX groups,
                        disabled people, login forms, audit, explain tool
  BackslashSeparatorTest  separators = / * \\ (Exchange's user\\shared)
  TargetFirstTest       login_order = target-first
  PlainLoginsTest       plain_logins = yes, no site LDAP passdb at all
  MinRightTest          min_right = write, auth_debug off
  MemberOfTest          person_memberof_attribute = memberOf,
                        group_nesting_depth = 1
  AuthCacheTest         auth_cache_size/ttl/negative_ttl, grant revoked in
                        LDAP while cached
  AuthCacheKeyTest      auth cache on: no cached entry serves another
                        person, target or login form (both Dovecots)
  SaslCacheKeyHintTest  Dovecot 2.3 only: master block without the
                        functional_sasl_target default_fields, cache on

Dovecot 2.3 and 2.4 (harness.DOVECOT24) run the same tests; where the two
differ only in spelling (the site's passdb ldap { } in its own file, log
prefixes, acl_user in 2.4 sessions) the test says so.

Refusals go pipelined over the auth-client socket with no-penalty (each
failure waits auth_failure_delay; a batch waits it once), so the IMAP
logins that follow are not slowed by the per-IP auth penalty. Run:

    FA_REQUIRE_MODULE=1 /usr/bin/python3 -m unittest \\
        tests.integration.test_authorization -v
"""

import imaplib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from model import authclient  # noqa: E402

# Passwords of the people the authorization stories add (harness.PASSWORDS
# has the older ones); none may reach a log.
PASSWORDS = dict(harness.PASSWORDS, **{
    name: name + "-secret" for name in (
        "frank", "grace", "henry", "ivan", "judy", "kim", "leo", "mike",
        "nina", "oscar", "paula", "quentin", "rachel", "sam")})

# IMAP rights of each level (functional-rights.acl, UCS's mapping).
# Dovecot's MYRIGHTS adds the obsolete RFC 2086 'c' and 'd' where 'k' and
# 'e'/'x' are given; they are ignored when comparing.
RIGHTS = {
    "read": "lrws",
    "post": "lrwsp",
    "append": "lrwspi",
    "write": "lrwspite",
    "all": "lrwspitekxa",
}
# What each level may do in the session (IMAP has no use for 'p', so post
# behaves like read).
ABILITIES = {
    "read": dict(append=False, delete=False, create=False),
    "post": dict(append=False, delete=False, create=False),
    "append": dict(append=True, delete=False, create=False),
    "write": dict(append=True, delete=True, create=False),
    "all": dict(append=True, delete=True, create=True),
}

DISABLED_FILTER = "(univentionObjectFlag=disabled)"


def pw(login):
    """The password of the person in a composite login (either order) or
    of a person name."""
    for part in re.split(r"[/*\\]", login):
        if part.split("@")[0] in PASSWORDS:
            return PASSWORDS[part.split("@")[0]]
    raise KeyError("no known person in %r" % login)


def message(to, subject):
    return ("From: sender@example.org\nTo: %s\nSubject: %s\n"
            "Date: Mon, 24 Nov 2025 10:00:00 +0000\n\n%s\n"
            % (to, subject, subject))


def rights_set(rights):
    return set(rights) - set("cd")


wait_log = harness.wait_log


def lines_with(text, *words):
    return [line for line in text.splitlines()
            if all(w in line for w in words)]


def rip_lines(text, rip):
    """Log lines of the auth requests claiming remote IP `rip`."""
    pat = re.compile(r"[(,]%s[,)]|rip=%s\b" % (re.escape(rip),
                                               re.escape(rip)))
    return [line for line in text.splitlines() if pat.search(line)]


def audit_lines(text, rip):
    """The grant audit lines of the requests from `rip`."""
    return [line for line in rip_lines(text, rip) if "acts as" in line]


def explain_tool():
    return (shutil.which("functional-auth-explain") or
            "/usr/local/bin/functional-auth-explain")


require_module = harness.require_module


class _DovecotCase(unittest.TestCase):
    """One slapd and one Dovecot for the class; helpers. No tests here."""
    maxDiff = None
    plugin_settings = {}
    extra_conf = ""
    auth_debug = True
    example_conf = harness.EXAMPLE_CONF
    site_ldap_text = None     # harness default: the site's LDAP template

    @classmethod
    def setUpClass(cls):
        require_module()
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.dovecot = harness.Dovecot(
            example_conf=cls.example_conf,
            site_ldap_text=cls.site_ldap_text,
            plugin_conf_text=harness.fixture_plugin_conf(
                cls.slapd.uri, **cls.plugin_settings),
            ldap_uri=cls.slapd.uri, auth_debug=cls.auth_debug,
            extra_conf=cls.extra_conf)
        cls.addClassCleanup(cls.dovecot.cleanup)

    # --- auth-client ---------------------------------------------------------

    def _auth_failed(self, error):
        crashes = [line for line in self.dovecot.log_text().splitlines()
                   if any(w in line for w in ("Panic:", "Fatal:",
                                              "killed with signal"))]
        self.fail("auth connection dropped (%s); the auth process "
                  "probably died:\n%s" % (error, "\n".join(crashes)))

    def auth(self, user, password=None, **kw):
        """One auth-client login (password defaults to the person's)."""
        if password is None:
            password = pw(kw.get("user", user))
        try:
            return harness.auth_client_login(self.dovecot.auth_socket, user,
                                             password, **kw)
        except ConnectionError as e:
            self._auth_failed(e)

    def auth_many(self, requests, timeout=60):
        try:
            return harness.auth_client_many(self.dovecot.auth_socket,
                                            requests, timeout)
        except ConnectionError as e:
            self._auth_failed(e)

    # --- IMAP ------------------------------------------------------------------

    def login(self, user, password=None):
        """IMAP LOGIN; the connection is logged out at test end."""
        if password is None:
            password = pw(user)
        try:
            conn = harness.imap_login(self.dovecot.imap_port, user, password)
        except imaplib.IMAP4.error as e:
            self.fail("IMAP login %r refused: %s\n%s" % (
                user, e, self.dovecot.log_text()[-3000:]))
        self.addCleanup(conn.logout)
        return conn

    def sasl_login(self, person, target):
        try:
            conn = harness.imap_authenticate_plain(
                self.dovecot.imap_port, person, pw(person), authzid=target)
        except imaplib.IMAP4.error as e:
            self.fail("IMAP AUTHENTICATE PLAIN %s as %s refused: %s" % (
                person, target, e))
        self.addCleanup(conn.logout)
        return conn

    def myrights(self, conn, mailbox="INBOX"):
        typ, data = conn.myrights(mailbox)
        self.assertEqual(typ, "OK", data)
        return data[-1].decode().split()[-1]

    def assertRights(self, conn, level, msg=None):
        got = self.myrights(conn)
        self.assertEqual(rights_set(got), set(RIGHTS[level]),
                         "%sMYRIGHTS %r, expected the rights of %s (%s)" % (
                             msg + ": " if msg else "", got, level,
                             RIGHTS[level]))

    def assertLoginRights(self, login, level):
        """IMAP login as `login` works and MYRIGHTS INBOX is `level`'s."""
        self.assertRights(self.login(login), level, login)

    def inbox_count(self, conn):
        typ, data = conn.select("INBOX")
        self.assertEqual(typ, "OK", data)
        return int(data[0])

    def inbox_subjects(self, conn):
        self.inbox_count(conn)
        typ, data = conn.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK", data)
        return [part[1].decode().strip() for part in data
                if isinstance(part, tuple)]

    def exercise(self, login, target, level):
        """Log in as `login` (a session of `target`) and try what each
        level allows or forbids; assert on the resulting state."""
        tag = uuid.uuid4().hex[:8]
        subject = "exercise %s %s" % (level, tag)
        self.dovecot.deliver(target, message(target, subject))
        conn = self.login(login)
        what = "%s as %s" % (login, level)

        # SELECT and FETCH: every level
        before = self.inbox_count(conn)
        self.assertGreaterEqual(before, 1, what)
        self.assertIn("Subject: " + subject, self.inbox_subjects(conn), what)
        self.assertRights(conn, level, what)

        # APPEND: append and up
        typ, data = conn.append("INBOX", None, None,
                                ("Subject: appended %s\r\n\r\nhello\r\n"
                                 % tag).encode())
        after_append = self.inbox_count(conn)
        if ABILITIES[level]["append"]:
            self.assertEqual(typ, "OK", "%s: APPEND refused: %r"
                             % (what, data))
            self.assertEqual(after_append, before + 1, what)
        else:
            self.assertEqual(typ, "NO", "%s: APPEND not refused: %r"
                             % (what, data))
            self.assertEqual(after_append, before, what)

        # STORE +FLAGS \Deleted and EXPUNGE: write and up. Without the
        # right Dovecot answers OK but sets no flag: check the flags.
        seq = str(after_append)
        conn.store(seq, "+FLAGS", "(\\Deleted)")
        typ, data = conn.fetch(seq, "(FLAGS)")
        self.assertEqual(typ, "OK", data)
        flags = b" ".join(d for d in data if isinstance(d, bytes)).decode()
        conn.expunge()
        after_expunge = self.inbox_count(conn)
        if ABILITIES[level]["delete"]:
            self.assertIn("\\Deleted", flags, what)
            self.assertEqual(after_expunge, after_append - 1, what)
        else:
            self.assertNotIn("\\Deleted", flags, what)
            self.assertEqual(after_expunge, after_append,
                             "%s: EXPUNGE removed a message" % what)

        # CREATE: all only
        folder = "Made-%s-%s" % (level, tag)
        typ, data = conn.create(folder)
        typ_list, listing = conn.list()
        listed = any(folder.encode() in line for line in listing
                     if isinstance(line, bytes))
        if ABILITIES[level]["create"]:
            self.assertEqual(typ, "OK", "%s: CREATE refused: %r"
                             % (what, data))
            self.assertTrue(listed, "%s: %s not listed" % (what, folder))
        else:
            self.assertEqual(typ, "NO", "%s: CREATE not refused: %r"
                             % (what, data))
            self.assertFalse(listed, what)

    # --- explain tool --------------------------------------------------------

    def explain(self, *args):
        r = subprocess.run([explain_tool(), "-c", self.dovecot.plugin_conf_path]
                           + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        return r.returncode, r.stdout


# =============================================================================

# Refusals of AuthorizationTest, sent pipelined once; each claims its own
# rip so its log lines can be found. name: (request, words its info line
# must contain)
def _denial(i, user, authzid=None, password=None):
    return dict(user=user, authzid=authzid,
                password=password if password is not None else pw(user),
                rip="192.0.2.%d" % (100 + i))


MAIN_DENIALS = {
    "henry_none": (_denial(1, "henry/projects@example.com"),
                   ('denied by univentionMailACL user "henry@example.com" none',)),
    "henry_none_sasl": (_denial(2, "henry@example.com",
                                authzid="projects@example.com"),
                        ('denied by univentionMailACL user '
                         '"henry@example.com" none',)),
    "bob_none": (_denial(3, "bob@example.com/helpdesk@example.com"),
                 ('denied by univentionMailACL user "bob@example.com" none',)),
    "no_rule": (_denial(4, "frank@example.com/projects@example.com"),
                ("no rule",)),
    "loop_denied": (_denial(5, "oscar@example.com/sales@example.com"),
                    ("no rule",)),
    "shadow_expired": (_denial(6, "quentin@example.com/crew@example.com"),
                       ("disabled", "shadowExpire")),
    "flag_disabled": (_denial(7, "rachel@example.com/crew@example.com"),
                      ("disabled", "person_disabled_filter")),
    "flag_disabled_sasl": (_denial(8, "rachel@example.com",
                                   authzid="crew@example.com"),
                           ("disabled",)),
    "memberof_off_acl": (_denial(9, "paula@example.com/audit@example.com"),
                         ("no rule",)),
    "memberof_off_ox": (_denial(10, "paula@example.com/ledger@example.com"),
                        ("no rule",)),
    "disabled_wrong_password": (
        _denial(11, "quentin@example.com/crew@example.com",
                password="wrong-secret"), ("disabled",)),
}


class AuthorizationTest(_DovecotCase):
    """The example configuration, plus a site flag for disabled people."""
    plugin_settings = dict(person_disabled_filter=DISABLED_FILTER)
    _denials = None

    @classmethod
    def denials(cls):
        """{name: (AuthReply, log text)}, computed once, with the time the
        whole batch took."""
        if cls._denials is None:
            mark = cls.dovecot.log_size()
            start = time.monotonic()
            replies = harness.auth_client_many(
                cls.dovecot.auth_socket,
                [req for req, _ in MAIN_DENIALS.values()], timeout=30)
            cls._denial_seconds = time.monotonic() - start
            log = wait_log(cls.dovecot, mark, lambda text: all(
                any("Info:" in line and "functional" in line
                    for line in rip_lines(text, req["rip"]))
                for req, _ in MAIN_DENIALS.values()), harness.PATIENCE)
            cls._denials = {name: (reply, log) for name, reply
                            in zip(MAIN_DENIALS, replies)}
        return cls._denials

    def assertDenied(self, name):
        reply, log = self.denials()[name]
        req, words = MAIN_DENIALS[name]
        what = "%s (%s%s)" % (name, req["user"], " authzid=" +
                              req["authzid"] if req["authzid"] else "")
        self.assertFalse(reply.ok, "%s was granted: %s" % (what, reply.raw))
        self.assertFalse(reply.temp, "%s failed temporarily: %s"
                         % (what, reply.raw))
        lines = [line for line in rip_lines(log, req["rip"])
                 if "Info:" in line and all(w in line for w in words)]
        self.assertTrue(lines, "%s: no info line containing %r:\n%s" % (
            what, words, "\n".join(rip_lines(log, req["rip"])) or log))
        return lines

    # --- each right level over IMAP (frank: one folder per level) -----------

    def test_level_read_selects_and_fetches_only(self):
        self.exercise("frank@example.com/level-read@example.com",
                      "level-read@example.com", "read")

    def test_level_post_is_read_for_imap(self):
        self.exercise("frank@example.com/level-post@example.com",
                      "level-post@example.com", "post")

    def test_level_append_appends_but_cannot_expunge(self):
        self.exercise("frank@example.com/level-append@example.com",
                      "level-append@example.com", "append")

    def test_level_write_expunges_but_cannot_create(self):
        self.exercise("frank@example.com/level-write@example.com",
                      "level-write@example.com", "write")

    def test_level_all_creates(self):
        self.exercise("frank@example.com/level-all@example.com",
                      "level-all@example.com", "all")

    def test_ox_member_has_full_access(self):
        self.exercise("alice@example.com/info@example.com",
                      "info@example.com", "all")

    def test_ox_member_via_group_dn_has_full_access(self):
        self.exercise("mike@example.com/team@example.com",
                      "team@example.com", "all")

    # --- ACL precedence: user's value decides alone ------------------------

    def test_user_value_weaker_than_group_wins(self):
        # grace: developers write, grace@example.com read -> read
        self.assertLoginRights("grace@example.com/projects@example.com",
                               "read")

    def test_user_value_stronger_than_group_wins(self):
        # ivan: testers read, ivan@example.com all -> all
        self.assertLoginRights("ivan@example.com/projects@example.com",
                               "all")

    def test_user_none_denies_despite_group_write(self):
        self.assertDenied("henry_none")

    def test_user_none_denies_over_sasl_too(self):
        self.assertDenied("henry_none_sasl")

    def test_user_none_denies_despite_group_read(self):
        self.assertDenied("bob_none")

    def test_strongest_group_wins(self):
        # judy: developers write, testers read -> write
        self.assertLoginRights("judy@example.com/projects@example.com",
                               "write")

    def test_group_with_space_in_name(self):
        self.assertLoginRights("leo@example.com/projects@example.com",
                               "post")

    def test_group_by_uniquemember_and_by_memberuid(self):
        # erin: support write (both attributes); henry is a developer only
        # by memberUid and is named "none", judy by both
        self.assertLoginRights("erin@example.com/helpdesk@example.com",
                               "write")

    def test_no_rule_denies(self):
        self.assertDenied("no_rule")

    def test_unparsable_value_naming_the_person_denies(self):
        # kim: "kim@example.com everything" (names her, does not parse)
        # and testers read: the value may have been her explicit deny
        mark = self.dovecot.log_size()
        reply = self.auth("kim@example.com/projects@example.com")
        self.assertFalse(reply.ok, reply.raw)
        self.assertFalse(reply.temp, reply.raw)
        log = wait_log(self.dovecot, mark, lambda t: "everything" in t)
        self.assertTrue(lines_with(log, "kim@example.com everything",
                                   "names the person but does not parse"),
                        log)

    def test_unparsable_value_naming_nobody_is_ignored_and_logged(self):
        # judy (developers, testers): "broken-value-without-right"
        # names nobody she is
        mark = self.dovecot.log_size()
        self.assertLoginRights("judy@example.com/projects@example.com",
                               "write")
        log = wait_log(self.dovecot, mark,
                       lambda t: "broken-value-without-right" in t)
        ignored = lines_with(log, "broken-value-without-right")
        self.assertTrue(any("ignor" in line.lower() for line in ignored),
                        log)

    def test_group_named_like_a_uid_is_not_the_person(self):
        # projects: "carol read" names a group "carol" (UCS: an identifier
        # without '@' is a group); carol is in no such group
        reply = self.auth("carol@example.com/projects@example.com")
        self.assertFalse(reply.ok, reply.raw)
        self.assertFalse(reply.temp, reply.raw)

    def test_login_by_uid_matches_acl_by_address(self):
        # helpdesk: "carol@example.com read"; carol logs in by uid
        self.assertLoginRights("carol/helpdesk@example.com", "read")

    def test_same_right_over_sasl_authzid(self):
        self.assertRights(self.sasl_login("carol@example.com",
                                          "helpdesk@example.com"), "read")
        self.assertRights(self.sasl_login("judy@example.com",
                                          "projects@example.com"), "write")

    # --- OX uniqueMember with groups ------------------------------------------

    def test_ox_member_via_nested_group(self):
        # nina is in ox-subteam, which is in ox-team, which team lists
        self.assertLoginRights("nina@example.com/team@example.com", "all")

    # A group loop must not make a login slower than one through groups
    # as deep without a loop (nina: ox-subteam in ox-team in team; oscar:
    # loop-a in loop-b in loopteam, loop-b in loop-a), measured here and
    # now: LOOP_FACTOR times the slowest of a few of those.
    LOOP_FACTOR = 4

    def test_group_loop_terminates_with_grant(self):
        def trial():
            baseline = harness.baseline_seconds(
                lambda: self.login("nina@example.com/team@example.com"))
            conn, took = harness.timed(
                self.login, "oscar@example.com/loopteam@example.com")
            self.assertRights(conn, "all")
            return took, self.LOOP_FACTOR * baseline
        tries = harness.timing_tries(trial)
        self.assertLess(*tries[-1], "the login through a group loop took "
                        "too long: %s" % harness.format_tries(tries))

    def test_group_loop_terminates_with_denial(self):
        self.assertDenied("loop_denied")
        # alone (the batch of all denials is no measure of one), against
        # a grant as deep without a loop plus Dovecot's failure delay
        req = MAIN_DENIALS["loop_denied"][0]

        def trial():
            baseline = harness.baseline_seconds(
                lambda: self.auth("nina@example.com/team@example.com"))
            reply, took = harness.timed(
                self.auth, **dict(req, rip=harness.unique_rip()))
            self.assertFalse(reply.ok, reply.raw)
            self.assertFalse(reply.temp, reply.raw)
            return took, (self.dovecot.failure_delay_max() +
                          self.LOOP_FACTOR * baseline)
        tries = harness.timing_tries(trial)
        self.assertLess(*tries[-1], "the denial through a group loop took "
                        "too long: %s" % harness.format_tries(tries))

    # --- disabled people ---------------------------------------------------------

    def test_shadow_expire_in_past_refused(self):
        self.assertDenied("shadow_expired")

    def test_disabled_person_refused_whatever_password(self):
        self.assertDenied("disabled_wrong_password")

    def test_person_disabled_filter_refused(self):
        self.assertDenied("flag_disabled")

    def test_person_disabled_filter_refused_over_sasl(self):
        self.assertDenied("flag_disabled_sasl")

    def test_shadow_expire_in_future_is_enabled(self):
        self.assertLoginRights("sam@example.com/crew@example.com", "all")
        # and a member of the same account who is not disabled
        self.assertLoginRights("frank@example.com/crew@example.com", "all")

    def test_memberof_unused_unless_configured(self):
        self.assertDenied("memberof_off_acl")
        self.assertDenied("memberof_off_ox")

    # --- login forms (default separators) ---------------------------------

    def test_star_separator(self):
        self.assertLoginRights("frank@example.com*level-write@example.com",
                               "write")

    def test_uid_with_star_separator(self):
        self.assertLoginRights("frank*level-post@example.com", "post")

    def test_sasl_plain_over_pop3(self):
        subject = "pop3 sasl %s" % uuid.uuid4().hex[:8]
        self.dovecot.deliver("helpdesk@example.com",
                             message("helpdesk@example.com", subject))
        try:
            conn = harness.pop3_authenticate_plain(
                self.dovecot.pop3_port, "erin@example.com", pw("erin"),
                authzid="helpdesk@example.com")
        except Exception as e:
            self.fail("POP3 AUTH PLAIN refused: %s\n%s" % (
                e, self.dovecot.log_text()[-2000:]))
        self.addCleanup(conn.quit)
        count, _ = conn.stat()
        self.assertGreaterEqual(count, 1)
        bodies = [b"\n".join(conn.retr(i)[1]) for i in range(1, count + 1)]
        self.assertTrue(any(subject.encode() in b for b in bodies))

    def test_composite_login_over_pop3(self):
        conn = harness.pop3_login(self.dovecot.pop3_port,
                                  "mike@example.com/team@example.com",
                                  pw("mike"))
        self.addCleanup(conn.quit)
        conn.stat()

    # --- audit -----------------------------------------------------------------

    def test_grant_logs_one_audit_line_with_acl_rule(self):
        mark = self.dovecot.log_size()
        rip = "198.51.100.7"
        reply = self.auth("erin@example.com/helpdesk@example.com",
                          service="pop3", rip=rip)
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "helpdesk@example.com")
        log = wait_log(self.dovecot, mark,
                       lambda t: audit_lines(t, rip))
        grants = audit_lines(log, rip)
        self.assertEqual(len(grants), 1, "expected one audit line:\n" + log)
        line = grants[0]
        self.assertIn("Info:", line)
        for word in ("erin@example.com", "helpdesk@example.com",
                     'univentionMailACL group "support" write',
                     "service=pop3", "rip=" + rip):
            self.assertIn(word, line)

    def test_grant_logs_one_audit_line_with_membership_rule(self):
        mark = self.dovecot.log_size()
        rip = "198.51.100.8"
        reply = self.auth("nina@example.com/team@example.com", rip=rip)
        self.assertTrue(reply.ok, reply.raw)
        log = wait_log(self.dovecot, mark,
                       lambda t: audit_lines(t, rip))
        grants = audit_lines(log, rip)
        self.assertEqual(len(grants), 1, log)
        for word in ("Info:", "nina@example.com acts as team@example.com",
                     "uniqueMember", "cn=ox-team,cn=groups,dc=example,dc=com",
                     "service=imap", "rip=" + rip):
            self.assertIn(word, grants[0])

    def test_sasl_grant_logs_audit_line(self):
        mark = self.dovecot.log_size()
        rip = "198.51.100.9"
        reply = self.auth("carol@example.com",
                          authzid="helpdesk@example.com", rip=rip)
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "helpdesk@example.com")
        self.assertEqual(reply.fields.get("auth_user"), "carol@example.com")
        log = wait_log(self.dovecot, mark,
                       lambda t: audit_lines(t, rip))
        grants = audit_lines(log, rip)
        self.assertEqual(len(grants), 1, log)
        self.assertIn('univentionMailACL user "carol@example.com" read',
                      grants[0])

    def test_log_never_contains_passwords(self):
        self.denials()
        log = self.dovecot.log_text()
        for who, password in PASSWORDS.items():
            self.assertNotIn(password, log, "password of %s in the log" % who)
        self.assertNotIn("wrong-secret", log)

    # --- explain tool --------------------------------------------------------

    def test_explain_granted_by_group(self):
        rc, out = self.explain("erin@example.com", "helpdesk@example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn("GRANTED", out)
        self.assertIn('univentionMailACL group "support" write', out)
        self.assertRegex(out, r"(?i)password bind skipped|no password")
        self.assertRegex(out, r"group: support \(cn=support,")
        self.assertRegex(out, r"(?i)group: Domain Users \(cn=Domain Users,")
        self.assertNotIn("erin-secret", out)

    def test_explain_single_login_denied(self):
        rc, out = self.explain("bob/helpdesk@example.com")
        self.assertEqual(rc, 1, out)
        self.assertIn("DENIED", out)
        self.assertIn('univentionMailACL user "bob@example.com" none', out)
        self.assertIn("login split at '/'", out)

    def test_explain_nested_group_and_disabled(self):
        rc, out = self.explain("nina@example.com", "team@example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn("group: ox-subteam", out)
        self.assertIn("group: ox-team", out)
        rc, out = self.explain("rachel@example.com*crew@example.com")
        self.assertEqual(rc, 1, out)
        self.assertIn("DENIED", out)
        self.assertIn("disabled", out)
        rc, out = self.explain("quentin", "crew@example.com")
        self.assertEqual(rc, 1, out)
        self.assertIn("disabled", out)

    def test_explain_send_as(self):
        # the policy service's answer, from the same decision
        rc, out = self.explain("--send-as", "erin@example.com",
                               "helpdesk@example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn("SEND-AS GRANTED", out)
        self.assertIn('group "support" write', out)
        self.assertIn("policy answer: action=OK", out)
        rc, out = self.explain("--send-as", "carol@example.com",
                               "helpdesk@example.com")
        self.assertEqual(rc, 1, out)
        self.assertIn("below send_min_right append", out)
        self.assertIn("policy answer: action=REJECT 5.7.1 "
                      "<helpdesk@example.com>: not allowed to send as this "
                      "functional account", out)
        rc, out = self.explain("--send-as", "alice", "bob@example.com")
        self.assertEqual(rc, 3, out)
        self.assertIn("NOT A FUNCTIONAL ACCOUNT", out)
        self.assertIn("policy answer: action=DUNNO", out)
        self.assertNotIn("person search", out)

    def test_explain_check_config(self):
        rc, out = self.explain("--check-config")
        self.assertEqual(rc, 0, out)
        self.assertIn(": OK", out)
        rc, out = self.explain("--check-config", "alice")
        self.assertEqual(rc, 64, out)

    def test_explain_unparsable_values_listed(self):
        rc, out = self.explain("kim@example.com", "projects@example.com")
        self.assertEqual(rc, 1, out)
        self.assertIn("kim@example.com everything", out)
        self.assertIn("does not parse", out)
        rc, out = self.explain("judy@example.com", "projects@example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn("broken-value-without-right", out)
        self.assertIn('group "developers" write', out)

    def test_member_dn_written_differently_still_counts(self):
        # a member DN in other case and spacing than the person's own DN
        # (DNs compare normalized); the second login takes the account
        # from the plugin's lookup cache, where it is kept normalized
        rc, out = self.slapd.ldapmodify(
            "dn: cn=dnform,cn=functional_accounts,cn=open-xchange,"
            "dc=example,dc=com\nchangetype: add\n"
            "objectClass: oxFunctionalAccount\ncn: dnform\n"
            "mailPrimaryAddress: dnform@example.com\n"
            "uniqueMember: UID=Erin,  CN=Users, DC=Example,dc=COM\n")
        self.assertEqual(rc, 0, out)
        for _ in range(2):
            reply = self.auth("erin@example.com/dnform@example.com")
            self.assertTrue(reply.ok, reply.raw)
            self.assertEqual(reply.fields.get("user"), "dnform@example.com")
        self.assertFalse(
            self.auth("bob@example.com/dnform@example.com").ok)


# =============================================================================

class BackslashSeparatorTest(_DovecotCase):
    """separators = / * \\ for people used to Exchange's user\\shared."""
    plugin_settings = dict(separators="/ * \\")
    # quoted: Dovecot reads an unquoted trailing backslash as a line
    # continuation; inside quotes "\\" is one backslash
    extra_conf = ('auth_username_chars = "abcdefghijklmnopqrstuvwxyz'
                  'ABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890.-_@/*\\\\"\n')
    auth_debug = False

    def test_backslash_separator(self):
        subject = "backslash %s" % uuid.uuid4().hex[:8]
        self.dovecot.deliver("info@example.com",
                             message("info@example.com", subject))
        conn = self.login("alice@example.com\\info@example.com")
        self.assertIn("Subject: " + subject, self.inbox_subjects(conn))
        self.assertRights(conn, "all")

    def test_backslash_separator_keeps_acl_right(self):
        self.assertLoginRights("frank@example.com\\level-append@example.com",
                               "append")
        self.assertLoginRights("carol\\helpdesk@example.com", "read")

    def test_slash_and_star_still_work(self):
        self.assertLoginRights("frank@example.com/level-read@example.com",
                               "read")
        self.assertLoginRights("frank@example.com*level-read@example.com",
                               "read")

    def test_backslash_over_pop3(self):
        conn = harness.pop3_login(self.dovecot.pop3_port,
                                  "mike@example.com\\team@example.com",
                                  pw("mike"))
        self.addCleanup(conn.quit)
        conn.stat()

    def test_backslash_denial(self):
        reply = self.auth("henry@example.com\\projects@example.com")
        self.assertFalse(reply.ok, reply.raw)
        self.assertFalse(reply.temp, reply.raw)


class TargetFirstTest(_DovecotCase):
    """login_order = target-first (Dovecot's own target*master habit)."""
    plugin_settings = dict(login_order="target-first")

    def test_target_first_star(self):
        subject = "target first %s" % uuid.uuid4().hex[:8]
        self.dovecot.deliver("info@example.com",
                             message("info@example.com", subject))
        conn = self.login("info@example.com*alice@example.com")
        self.assertIn("Subject: " + subject, self.inbox_subjects(conn))
        self.assertRights(conn, "all")

    def test_target_first_slash_keeps_acl_right(self):
        self.assertLoginRights("level-write@example.com/frank@example.com",
                               "write")
        self.assertLoginRights("helpdesk@example.com/carol", "read")

    def test_target_first_auth_reply(self):
        reply = self.auth("info@example.com*alice@example.com",
                          password=pw("alice"))
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "info@example.com")
        self.assertEqual(reply.fields.get("auth_user"), "alice@example.com")

    def test_person_first_form_fails(self):
        replies = self.auth_many([
            dict(user="alice@example.com*info@example.com",
                 password=pw("alice"), rip="192.0.2.201"),
            dict(user="alice@example.com/info@example.com",
                 password=pw("alice"), rip="192.0.2.202"),
        ])
        for reply in replies:
            self.assertFalse(reply.ok, reply.raw)
            self.assertFalse(reply.temp, reply.raw)
            self.assertNotEqual(reply.fields.get("user"), "info@example.com")

    def test_sasl_authzid_unaffected(self):
        self.assertRights(self.sasl_login("alice@example.com",
                                          "info@example.com"), "all")


def _example_without_site_passdb(path):
    """Dovecot 2.3: dovecot-example.conf without the site's ldap passdb
    block (the example holds it)."""
    with open(harness.EXAMPLE_CONF) as f:
        text = f.read()
    block = re.compile(r"^passdb\s*\{[^{}]*?driver\s*=\s*ldap\b[^{}]*\}\n?",
                       re.M)
    text, n = block.subn("", text)
    if n != 1:
        raise AssertionError("expected one ldap passdb block in %s, found %d"
                             % (harness.EXAMPLE_CONF, n))
    with open(path, "w") as f:
        f.write(text)
    return path


def _site_ldap_without_passdb():
    """Dovecot 2.4: the site's LDAP file (site-ldap24.conf.ext, which
    dovecot24-example.conf includes) without its `passdb ldap { }` block
    (nested blocks such as fields { } included)."""
    with open(harness.SITE_LDAP_TEMPLATE) as f:
        lines = f.read().splitlines(keepends=True)
    out, depth, found = [], 0, 0
    for line in lines:
        if depth == 0 and re.match(r"passdb\s+ldap\s*\{\s*$", line):
            depth, found = 1, found + 1
            continue
        if depth:
            depth += line.count("{") - line.count("}")
            continue
        out.append(line)
    if found != 1 or depth:
        raise AssertionError("expected one `passdb ldap { }` block in %s, "
                             "found %d" % (harness.SITE_LDAP_TEMPLATE, found))
    return "".join(out)


class PlainLoginsTest(_DovecotCase):
    """plain_logins = yes and no site LDAP passdb: the plugin alone
    authenticates ordinary logins too (one passdb for the site)."""
    plugin_settings = dict(plain_logins="yes")

    @classmethod
    def setUpClass(cls):
        require_module()
        if harness.DOVECOT24:
            # 2.4: the site's passdb ldap { } is in the site's own file
            cls.site_ldap_text = _site_ldap_without_passdb()
        else:
            cls._tmp = tempfile.mkdtemp(prefix="fa-authz-conf-")
            cls.addClassCleanup(shutil.rmtree, cls._tmp, True)
            cls.example_conf = _example_without_site_passdb(
                os.path.join(cls._tmp, "dovecot-example.conf"))
        super().setUpClass()

    def test_site_ldap_passdb_is_gone(self):
        with open(self.dovecot.example_path) as f:
            conf = f.read()
        with open(self.dovecot.site_ldap_path) as f:
            site = f.read()
        self.assertNotRegex(conf, r"passdb\s*\{\s*driver\s*=\s*ldap")
        self.assertNotRegex(conf, r"(?m)^\s*passdb\s+ldap\b")
        self.assertNotRegex(site, r"(?m)^\s*passdb\b")
        # what Dovecot runs: the functional passdbs and no other
        r = subprocess.run(["doveconf", "-c", self.dovecot.conf_path, "-n"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout)
        drivers = re.findall(r"(?ms)^passdb\b[^{]*\{(.*?)^\}", r.stdout)
        self.assertTrue(drivers, r.stdout)
        for block in drivers:
            self.assertRegex(block, r"driver\s*=\s*functional\b", r.stdout)

    def test_plain_login_reaches_own_mailbox(self):
        subject = "alice own %s" % uuid.uuid4().hex[:8]
        self.dovecot.deliver("alice@example.com",
                             message("alice@example.com", subject))
        self.dovecot.deliver("info@example.com",
                             message("info@example.com", "not for plain"))
        mark = self.dovecot.log_size()
        subjects = self.inbox_subjects(self.login("alice@example.com"))
        self.assertIn("Subject: " + subject, subjects)
        self.assertNotIn("Subject: not for plain", subjects)
        # 2.3: "auth: Debug: functional(alice@example.com,RIP,...): ...",
        # 2.4: "auth(alice@example.com,RIP,...)<...>: Debug: functional: ..."
        bind = harness.dialect(
            ("functional(alice@example.com,", "password bind"),
            ("auth(alice@example.com,", "functional: password bind"))
        log = wait_log(self.dovecot, mark, lambda t: lines_with(t, *bind))
        self.assertTrue(lines_with(log, *bind), log)

    def test_plain_login_by_uid(self):
        subject = "carol own %s" % uuid.uuid4().hex[:8]
        self.dovecot.deliver("carol@example.com",
                             message("carol@example.com", subject))
        subjects = self.inbox_subjects(self.login("carol"))
        self.assertIn("Subject: " + subject, subjects)

    def test_plain_login_auth_reply(self):
        reply = self.auth("alice@example.com", password=pw("alice"))
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "alice@example.com")

    def test_plain_login_refusals(self):
        replies = self.auth_many([
            dict(user="alice@example.com", password="wrong-secret"),
            dict(user="alice@example.com", password=""),
            dict(user="quentin@example.com", password=pw("quentin")),
            dict(user="nobody@example.com", password="nobody-secret"),
            # a functional account has no password of its own
            dict(user="info@example.com", password="anything"),
        ])
        for reply in replies:
            self.assertFalse(reply.ok, reply.raw)

    def test_composite_login_still_works(self):
        self.assertLoginRights("frank@example.com/level-append@example.com",
                               "append")


class MinRightTest(_DovecotCase):
    """min_right = write; auth_debug off (audit and denials at info)."""
    plugin_settings = dict(min_right="write")
    auth_debug = False

    def test_read_person_refused(self):
        mark = self.dovecot.log_size()
        replies = self.auth_many([
            dict(user="carol@example.com/helpdesk@example.com",
                 password=pw("carol"), rip="192.0.2.211"),
            dict(user="leo@example.com/projects@example.com",
                 password=pw("leo"), rip="192.0.2.212"),
            dict(user="frank@example.com/level-append@example.com",
                 password=pw("frank"), rip="192.0.2.213"),
        ])
        for reply in replies:
            self.assertFalse(reply.ok, reply.raw)
            self.assertFalse(reply.temp, reply.raw)
        expected = (("192.0.2.211", "read"), ("192.0.2.212", "post"),
                    ("192.0.2.213", "append"))
        log = wait_log(self.dovecot, mark, lambda t: all(
            lines_with("\n".join(rip_lines(t, rip)), "min_right")
            for rip, _ in expected))
        for rip, right in expected:
            lines = [line for line in rip_lines(log, rip)
                     if "Info:" in line and "min_right" in line]
            self.assertTrue(lines, "no info line on min_right for %s:\n%s"
                            % (rip, log))
            self.assertIn("right %s" % right, lines[0])
            self.assertNotIn("Debug:", log)

    def test_write_person_granted(self):
        self.assertLoginRights("erin@example.com/helpdesk@example.com",
                               "write")
        self.assertLoginRights("frank@example.com/level-write@example.com",
                               "write")

    def test_ox_member_granted(self):
        self.assertLoginRights("alice@example.com/info@example.com", "all")

    def test_audit_line_without_auth_debug(self):
        mark = self.dovecot.log_size()
        reply = self.auth("judy@example.com/projects@example.com",
                          rip="198.51.100.21")
        self.assertTrue(reply.ok, reply.raw)
        log = wait_log(self.dovecot, mark,
                       lambda t: audit_lines(t, "198.51.100.21"))
        grants = audit_lines(log, "198.51.100.21")
        self.assertEqual(len(grants), 1, log)
        self.assertIn("Info:", grants[0])
        self.assertIn('univentionMailACL group "developers" write', grants[0])


class MemberOfTest(_DovecotCase):
    """person_memberof_attribute = memberOf; group_nesting_depth = 1."""
    plugin_settings = dict(person_memberof_attribute="memberOf",
                           group_nesting_depth="1")

    def test_acl_group_from_memberof(self):
        self.assertLoginRights("paula@example.com/audit@example.com", "read")

    def test_ox_group_dn_from_memberof(self):
        self.assertLoginRights("paula@example.com/ledger@example.com", "all")

    def test_group_filter_still_used(self):
        self.assertLoginRights("erin@example.com/helpdesk@example.com",
                               "write")
        self.assertLoginRights("mike@example.com/team@example.com", "all")

    def test_nesting_depth_limits_walk(self):
        # nina needs two levels (ox-subteam -> ox-team); depth 1 stops
        reply = self.auth("nina@example.com/team@example.com")
        self.assertFalse(reply.ok, reply.raw)
        self.assertFalse(reply.temp, reply.raw)

    def test_explain_shows_memberof_group(self):
        rc, out = self.explain("paula@example.com", "audit@example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn("auditors", out)
        self.assertIn('group "auditors" read', out)


class AuthCacheTest(_DovecotCase):
    """Dovecot's auth cache on: a revoked grant ends with the TTL, a wrong
    password is never served from a cached success, a cached login is
    still the person acting as the account."""
    # under valgrind one login can take seconds: a short TTL would expire
    # between the two logins that are meant to hit the cache
    TTL = 10 if harness.VALGRIND else 3
    # the plugin's own reuse of search results adds to the revocation
    # window: a grant ends at most TTL + LOOKUP_TTL after it was revoked
    LOOKUP_TTL = 1
    plugin_settings = {"lookup_cache_ttl": str(LOOKUP_TTL)}
    extra_conf = ("auth_cache_size = 1M\nauth_cache_ttl = %d s\n"
                  "auth_cache_negative_ttl = %d s\n" % (TTL, TTL))
    INFO_DN = "cn=info,cn=functional_accounts,cn=open-xchange,dc=example,dc=com"
    ALICE_DN = "uid=alice,cn=users,dc=example,dc=com"
    # the same grant asked for in both forms Dovecot caches differently
    COMPOSITE = dict(user="alice@example.com/info@example.com",
                     password=harness.PASSWORDS["alice"])
    SASL = dict(user="alice@example.com", authzid="info@example.com",
                password=harness.PASSWORDS["alice"])

    def member_change(self, op):
        rc, out = self.slapd.ldapmodify(
            "dn: %s\nchangetype: modify\n%s: uniqueMember\n"
            "uniqueMember: %s\n" % (self.INFO_DN, op, self.ALICE_DN))
        self.assertEqual(rc, 0, out)

    def logged(self, login, last="Auth request finished"):
        """login(rip) with a fresh rip: (its result, its own log lines,
        when it was sent, when it was answered), the lines read once the
        request's own `last` line is written (Dovecot's log process
        writes after the reply, and late lines of an earlier login must
        not stand in for this one's)."""
        rip = harness.unique_rip()
        mark = self.dovecot.log_size()
        sent = time.monotonic()
        result = login(rip)
        answered = time.monotonic()
        log = harness.wait_request_log(self.dovecot, mark, rip, last)
        lines = rip_lines(log, rip)
        self.assertTrue(any(last in line for line in lines),
                        "no %r line of the login from %s:\n%s"
                        % (last, rip, log))
        return result, lines, sent, answered

    def cached_pair(self, login, check, what, last="Auth request finished",
                    attempts=3):
        """Logins with login(rip) until one is shown to come from the
        auth cache: check(result) on each; returns the results of the
        login that filled the cache and of the one served from it.

        Whether the second was sent within auth_cache_ttl is measured:
        the first one (a cache miss) inserted its entry after it was
        sent, the second was looked up before it was answered, and an
        entry lives at least TTL s (Dovecot counts whole seconds), so a
        second answered less than TTL after the first was sent must be a
        hit. A slower pair proves nothing either way (a busy machine,
        valgrind): it is repeated, at most `attempts` times."""
        filler = None       # (result, sent, answered) of the last miss
        ages = []
        for _ in range(3 * attempts):
            result, lines, sent, answered = self.logged(login, last)
            check(result)
            hit = any("cache hit" in line for line in lines)
            self.assertTrue(hit or any("cache miss" in line
                                       for line in lines),
                            "%s: neither cache hit nor miss logged:\n%s"
                            % (what, "\n".join(lines)))
            if filler is not None:
                age = answered - filler[1]
                ages.append(age)
                if age < self.TTL:
                    self.assertTrue(hit, "%s was not served from the auth "
                                    "cache %.2f s after the login that "
                                    "filled it (auth_cache_ttl %d s):\n%s"
                                    % (what, age, self.TTL,
                                       "\n".join(lines)))
                    return filler[0], result
                if len(ages) >= attempts:
                    break
            if not hit:
                filler = (result, sent, answered)
                continue
            # served from an entry of unknown or too great an age: let it
            # expire (it existed when this login was answered), so that
            # the next login fills the cache afresh
            filler = None
            time.sleep(max(0, answered + self.TTL + 1.2 - time.monotonic()))
        self.fail("%s: no two logins within auth_cache_ttl (%d s) in %d "
                  "tries, this machine is too slow for it (the pairs took "
                  "%s s)" % (what, self.TTL, attempts,
                             ", ".join("%.2f" % a for a in ages)))

    def assertCachedTwice(self, request, user, auth_user):
        """Two identical logins: both OK with the same user/auth_user, the
        second one served from the cache."""
        def check(reply):
            self.assertTrue(reply.ok, reply.raw)
            self.assertEqual(reply.fields.get("user"), user, reply.raw)
            self.assertEqual(reply.fields.get("auth_user"), auth_user,
                             reply.raw)
        self.cached_pair(lambda rip: self.auth(rip=rip, **request), check,
                         "the second login of %r" % request["user"])

    def test_sasl_login_cached_keeps_master_user(self):
        self.assertCachedTwice(dict(user="mike@example.com",
                                    authzid="team@example.com",
                                    password=pw("mike")),
                               "team@example.com", "mike@example.com")

    def test_cached_sasl_grant_never_opens_another_target(self):
        # alice may open info, not sales: her cached SASL grant for info
        # must not be replayed for sales (same person, same password)
        first = self.auth(**self.SASL)
        self.assertTrue(first.ok, first.raw)
        other = self.auth(user="alice@example.com",
                          authzid="sales@example.com",
                          password=harness.PASSWORDS["alice"])
        self.assertFalse(other.ok, other.raw)
        self.assertEqual(self.auth(**self.SASL).fields.get("user"),
                         "info@example.com")

    def test_composite_login_cached_keeps_master_user(self):
        self.assertCachedTwice(dict(user="nina@example.com/team@example.com",
                                    password=pw("nina")),
                               "team@example.com", "nina@example.com")

    def test_doveadm_auth_test_with_cache(self):
        login = "frank@example.com/level-read@example.com"
        for _ in range(2):
            rc, out = harness.doveadm_auth_test(self.dovecot.conf_path, login,
                                                pw("frank"))
            self.assertEqual(rc, 0, out)
            self.assertIn("user=level-read@example.com", out)
            self.assertTrue("auth_user=frank@example.com" in out or
                            "master_user=frank@example.com" in out, out)

    def test_doveadm_auth_login_with_cache_keeps_session_fields(self):
        # the second login's passdb is a cache hit: its userdb reply is
        # built from the cached grant and must be the same
        login = "frank@example.com/level-post@example.com"

        def doveadm_login(rip):
            rc, out = harness.doveadm_auth_test(
                self.dovecot.conf_path, login, pw("frank"), "-x",
                "rip=" + rip, command="login")
            return rc, out, out.partition("userdb extra fields:")[2]

        def check(result):
            rc, out, userdb = result
            self.assertEqual(rc, 0, out)
            self.assertIn("\n  functional_acl_groups=functional-post\n", out)
            self.assertIn("\n  master_user=frank@example.com\n", out)
            if harness.DOVECOT24:
                # 2.4's mail side loses master_user: without acl_user the
                # mailbox owner would be the ACL user (every right)
                self.assertIn("\n  acl_user=frank@example.com\n", out)
            self.assertNotIn("functional_grant", out)
        filled, cached = self.cached_pair(
            doveadm_login, check, "the second doveadm auth login of %r"
            % login, last="Finished userdb lookup")
        self.assertEqual(filled[2], cached[2])

    def test_cached_sessions_keep_each_persons_right(self):
        # userdb replies carry the person's right: cached per person
        for _ in range(2):
            self.assertLoginRights("carol@example.com/helpdesk@example.com",
                                   "read")
            self.assertLoginRights("erin@example.com/helpdesk@example.com",
                                   "write")
            self.assertRights(self.sasl_login("carol@example.com",
                                              "helpdesk@example.com"), "read")
            self.assertRights(self.sasl_login("erin@example.com",
                                              "helpdesk@example.com"), "write")

    def test_revoked_grant_ends_with_ttl_wrong_password_never_cached(self):
        forms = (self.COMPOSITE, self.SASL)
        for reply in self.auth_many(forms):
            self.assertTrue(reply.ok, reply.raw)
        # a wrong password right after a (cached) success is refused
        wrong = self.auth_many([dict(r, password="wrong-secret")
                                for r in forms])
        for reply in wrong:
            self.assertFalse(reply.ok, "wrong password accepted (served "
                             "from the cache?): " + reply.raw)
        for reply in self.auth_many(forms):
            self.assertTrue(reply.ok, reply.raw)

        self.member_change("delete")
        revoked_at = time.monotonic()
        self.addCleanup(self._restore_member)
        # within the TTL a cached grant may still be served: not checked
        self.auth_many(forms)
        stale_until = time.monotonic()
        # A grant from before the revocation can be in Dovecot's cache
        # only from a login answered by now (the plugin's own lookups
        # from before it are reused until revoked_at + LOOKUP_TTL, and no
        # login runs between now and the check). Dovecot counts the TTL
        # in whole seconds: an entry lives less than TTL + 1 s. So these
        # are measured moments, however slow this run is.
        self.sleep_until(max(stale_until + self.TTL + 1,
                             revoked_at + self.LOOKUP_TTL))
        for reply in self.auth_many(forms):
            self.assertFalse(reply.ok, "grant outlived auth_cache_ttl "
                             "(%d s) after alice left info: %s"
                             % (self.TTL, reply.raw))
            self.assertFalse(reply.temp, reply.raw)
        refused_until = time.monotonic()

        self.member_change("add")
        self._restored = True
        restored_at = time.monotonic()
        # refusals may be cached (auth_cache_negative_ttl = TTL) from
        # logins answered by refused_until; the plugin's lookups from
        # before the change are reused until restored_at + LOOKUP_TTL,
        # and a login before that could cache a refusal afresh, so none
        # is sent; after it, a refused login only hits the old entries
        self.sleep_until(restored_at + self.LOOKUP_TTL)
        deadline = max(refused_until + self.TTL + 1,
                       restored_at + self.LOOKUP_TTL) + 0.2
        while True:     # the last try is sent after the deadline
            sent = time.monotonic()
            replies = self.auth_many(forms)
            if all(r.ok for r in replies) or sent > deadline:
                break
            time.sleep(0.1)
        for reply in replies:
            self.assertTrue(reply.ok, "access not restored within the TTL "
                            "after re-adding alice: " + reply.raw)
            self.assertEqual(reply.fields.get("auth_user"),
                             "alice@example.com", reply.raw)

    _restored = False

    @staticmethod
    def sleep_until(moment, margin=0.2):
        """Sleep until the monotonic `moment` (+ margin for Dovecot's
        ioloop clock, read when its loop wakes up)."""
        time.sleep(max(0, moment + margin - time.monotonic()))

    def _restore_member(self):
        if not self._restored:
            self.slapd.ldapmodify(
                "dn: %s\nchangetype: modify\nadd: uniqueMember\n"
                "uniqueMember: %s\n" % (self.INFO_DN, self.ALICE_DN))


# =============================================================================

def _login(user, password, authzid=None, expect=None):
    """One login of AuthCacheKeyTest: expect is None (refused, and not
    temporarily) or (session user, person or None, right or None)."""
    return dict(user=user, password=password, authzid=authzid,
                expect=expect)


class AuthCacheKeyTest(_DovecotCase):
    """The auth cache never serves one login's entry to another login:
    not to another person, not for another target, in every login form
    (person-first P/T and P*T, by address and by uid, SASL authzid).

    Dovecot caches a passdb's answer under the module's cache key. On
    2.3 that is %u<TAB>%s (the login as typed, the service) plus, for
    the `master = yes` block, default_fields'
    functional_sasl_target=%{login_user}; 2.4 has no default_fields (and
    no %u: a "%u" key is one constant for every login), the plugin sets
    %{user}<TAB>%{protocol} and, for the master block,
    %{user}<TAB>%{login_user}<TAB>%{protocol} itself (test_smtp_login.py
    shows why the service is in it). If two logins shared an entry, the
    second would get the first one's grant (target, person, right).

    Each test fills the cache with its grants, shows that a repeat is a
    cache hit, sends logins that differ in the person, the target or the
    form (each the first of its kind in this Dovecot), and shows the
    grants are still cached afterwards: so the entries existed while the
    others were looked up, and none of those may be a cache hit or get
    an answer other than its own. Logins go as a login process sends
    them (model/authclient.py: AUTH, then the master REQUEST for the
    userdb fields, where the right is)."""
    TTL = 300           # longer than the class runs: nothing expires
    extra_conf = ("auth_cache_size = 1M\nauth_cache_ttl = %d s\n"
                  "auth_cache_negative_ttl = %d s\n" % (TTL, TTL))

    def send(self, logins, what):
        """Send logins (pipelined, each with a fresh rip), check each
        answer against its expect; returns, per login, whether its passdb
        lookup was a cache hit (True), a miss (False)."""
        mark = self.dovecot.log_size()
        reqs = []
        for lg in logins:
            reqs.append(dict(user=lg["user"], password=lg["password"],
                             authzid=lg["authzid"],
                             rip=harness.unique_rip()))
        try:
            results = authclient.run_logins(
                self.dovecot, [dict(r) for r in reqs], timeout=60)
        except ConnectionError as e:
            self._auth_failed(e)
        log = wait_log(self.dovecot, mark, lambda text: all(
            any("Auth request finished" in line
                for line in rip_lines(text, r["rip"])) for r in reqs),
            harness.PATIENCE)
        hits = []
        for lg, req, res in zip(logins, reqs, results):
            name = "%s: %s%s" % (what, lg["user"], " authzid=" +
                                 lg["authzid"] if lg["authzid"] else "")
            lines = rip_lines(log, req["rip"])
            # the passdbs' "cache hit: ..." / "cache miss", not the
            # userdb's "userdb cache hit" (the ldap userdb's own cache)
            found = {m.group(1) for line in lines for m in
                     [re.search(r"(?<!userdb )\bcache (hit|miss)\b", line)]
                     if m}
            hit, miss = "hit" in found, "miss" in found
            self.assertTrue(hit or miss, "%s: neither cache hit nor miss "
                            "logged:\n%s" % (name, "\n".join(lines) or log))
            self.check_answer(name, lg["expect"], res, lines)
            hits.append(hit)
        return hits

    def check_answer(self, name, expect, res, lines):
        detail = "%s\n  reply: %s\n  userdb: %s\n  log:\n%s" % (
            name, res.reply.raw.strip(), (res.userdb_raw or "").strip(),
            "\n".join("    " + line for line in lines))
        if expect is None:
            self.assertFalse(res.reply.ok, "granted: " + detail)
            self.assertFalse(res.reply.temp, "failed temporarily: " + detail)
            return
        user, person, right = expect
        self.assertTrue(res.reply.ok, "refused: " + detail)
        self.assertEqual(res.reply.fields.get("user"), user, detail)
        self.assertIsNotNone(res.userdb, "userdb lookup failed: " + detail)
        self.assertEqual(res.userdb.get("user"), user, detail)
        if person is None:      # an ordinary login: the person's own box
            self.assertIn(res.reply.fields.get("auth_user", user),
                          (user,), detail)
            self.assertNotIn("master_user", res.userdb, detail)
            self.assertNotIn("acl_user", res.userdb, detail)
        else:
            self.assertEqual(res.reply.fields.get("auth_user"), person,
                             detail)
            self.assertEqual(res.userdb.get("master_user"), person, detail)
            if harness.DOVECOT24:   # the ACL user (2.4 loses master_user)
                self.assertEqual(res.userdb.get("acl_user"), person, detail)
        self.assertEqual(authclient.granted_right(res), right, detail)

    def assertNoSharing(self, grants, others, what):
        """grants: logins that are granted (cached by the first run);
        others: logins that must not be served from their entries."""
        self.assertFalse(any(self.send(grants, what + " (filling)")),
                         "%s: a first login was a cache hit" % what)
        hits = self.send(grants, what + " (repeat)")
        self.assertTrue(all(hits), "%s: a repeated grant was not served "
                        "from the auth cache (hits %r): the test cannot "
                        "show anything" % (what, hits))
        hits = self.send(others, what + " (other logins)")
        for lg, hit in zip(others, hits):
            self.assertFalse(hit, "%s: %r (authzid %r) was answered from "
                             "the auth cache, but no login like it was "
                             "made before: it shared another login's entry"
                             % (what, lg["user"], lg["authzid"]))
        hits = self.send(grants, what + " (repeat after the others)")
        self.assertTrue(all(hits), "%s: the grants were no longer cached "
                        "after the other logins (hits %r)" % (what, hits))

    def test_person_first_slash_by_address(self):
        erin, carol = pw("erin"), pw("carol")
        self.assertNoSharing(
            [_login("erin@example.com/helpdesk@example.com", erin,
                    expect=("helpdesk@example.com", "erin@example.com",
                            "write"))],
            [   # another target, same person and password
                _login("erin@example.com/info@example.com", erin),
                # another person, same target, the cached password
                _login("bob@example.com/helpdesk@example.com", erin),
                # another person with a right of their own
                _login("carol@example.com/helpdesk@example.com", carol,
                       expect=("helpdesk@example.com", "carol@example.com",
                               "read")),
                # the target's own name, the person's own name
                _login("helpdesk@example.com", erin),
                _login("erin@example.com", erin,
                       expect=("erin@example.com", None, None)),
            ], "P/T")

    def test_person_first_star_by_address(self):
        frank, alice = pw("frank"), pw("alice")
        self.assertNoSharing(
            [_login("frank@example.com*level-write@example.com", frank,
                    expect=("level-write@example.com", "frank@example.com",
                            "write"))],
            [   # other targets of the same person, other rights
                _login("frank@example.com*level-read@example.com", frank,
                       expect=("level-read@example.com", "frank@example.com",
                               "read")),
                _login("frank@example.com/level-post@example.com", frank,
                       expect=("level-post@example.com", "frank@example.com",
                               "post")),
                # another person, same target, the cached password
                _login("alice@example.com*level-write@example.com", frank),
                # another person (by uid), same target, own password
                _login("alice*level-write@example.com", alice),
                _login("level-write@example.com", frank),
                _login("frank@example.com", frank,
                       expect=("frank@example.com", None, None)),
            ], "P*T")

    def test_person_first_by_uid(self):
        frank, carol = pw("frank"), pw("carol")
        self.assertNoSharing(
            [_login("frank*level-append@example.com", frank,
                    expect=("level-append@example.com", "frank@example.com",
                            "append")),
             _login("carol/helpdesk@example.com", carol,
                    expect=("helpdesk@example.com", "carol@example.com",
                            "read"))],
            [   # other targets of the same uid
                _login("frank*level-all@example.com", frank,
                       expect=("level-all@example.com", "frank@example.com",
                               "all")),
                _login("frank/level-append@example.com", frank,
                       expect=("level-append@example.com",
                               "frank@example.com", "append")),
                _login("carol/level-append@example.com", carol),
                # other people, same targets, the cached passwords
                _login("carol*level-append@example.com", frank),
                _login("bob/helpdesk@example.com", carol),
                _login("erin/helpdesk@example.com", carol),
                _login("frank", frank,
                       expect=("frank@example.com", None, None)),
            ], "uid/T, uid*T")

    def test_sasl_authzid(self):
        erin, carol, frank = pw("erin"), pw("carol"), pw("frank")
        self.assertNoSharing(
            [_login("erin@example.com", erin, "helpdesk@example.com",
                    expect=("helpdesk@example.com", "erin@example.com",
                            "write")),
             _login("frank@example.com", frank, "level-write@example.com",
                    expect=("level-write@example.com", "frank@example.com",
                            "write"))],
            [   # another target of the same person: refused, other right
                _login("erin@example.com", erin, "info@example.com"),
                _login("frank@example.com", frank, "level-read@example.com",
                       expect=("level-read@example.com", "frank@example.com",
                               "read")),
                # another person, same target: own right, cached password
                _login("carol@example.com", carol, "helpdesk@example.com",
                       expect=("helpdesk@example.com", "carol@example.com",
                               "read")),
                _login("bob@example.com", erin, "helpdesk@example.com"),
                _login("erin", erin, "level-write@example.com"),
                # the same person without an authzid, by uid
                _login("erin", erin, expect=("erin@example.com", None,
                                             None)),
                # the same pair as a composite login (a key of its own)
                _login("frank/level-write@example.com", frank,
                       expect=("level-write@example.com",
                               "frank@example.com", "write")),
            ], "SASL authzid")


def _example_without_sasl_target(path):
    """Dovecot 2.3: dovecot-example.conf without the master block's
    default_fields = functional_sasl_target=%{login_user} line."""
    with open(harness.EXAMPLE_CONF) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^\s*default_fields\s*=\s*"
                      r"functional_sasl_target=%\{login_user\}\s*\n", "",
                      text)
    if n != 1:
        raise AssertionError("expected one functional_sasl_target line in "
                             "%s, found %d" % (harness.EXAMPLE_CONF, n))
    with open(path, "w") as f:
        f.write(text)
    return path


@unittest.skipIf(harness.DOVECOT24, "Dovecot 2.4 has no default_fields and "
                 "the plugin sets the master block's cache key (with "
                 "%{login_user}) itself; AuthCacheKeyTest.test_sasl_authzid "
                 "shows no cached grant crosses targets there")
class SaslCacheKeyHintTest(_DovecotCase):
    """Dovecot 2.3, auth cache on, the master = yes block without
    default_fields = functional_sasl_target=%{login_user}: its cache key
    would be the person alone, so one cached grant would open every
    target. The plugin refuses SASL authzid logins then (temporarily,
    with an error naming the fix); other logins are unaffected."""
    extra_conf = ("auth_cache_size = 1M\nauth_cache_ttl = 300 s\n"
                  "auth_cache_negative_ttl = 300 s\n")

    @classmethod
    def setUpClass(cls):
        require_module()
        cls._tmp = tempfile.mkdtemp(prefix="fa-authz-conf-")
        cls.addClassCleanup(shutil.rmtree, cls._tmp, True)
        cls.example_conf = _example_without_sasl_target(
            os.path.join(cls._tmp, "dovecot-example.conf"))
        super().setUpClass()

    def test_sasl_authzid_refused_with_hint(self):
        mark = self.dovecot.log_size()
        rip = harness.unique_rip()
        reply = self.auth("alice@example.com", authzid="info@example.com",
                          rip=rip)
        self.assertFalse(reply.ok, reply.raw)
        self.assertTrue(reply.temp, reply.raw)
        log = wait_log(self.dovecot, mark, lambda t: lines_with(
            "\n".join(rip_lines(t, rip)), "lacks the target"))
        errors = lines_with("\n".join(rip_lines(log, rip)), "Error:",
                            "lacks the target",
                            "functional_sasl_target=%{login_user}")
        self.assertTrue(errors, log)
        self.assertFalse(audit_lines(log, rip), log)

    def test_composite_login_unaffected(self):
        reply = self.auth("alice@example.com/info@example.com")
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "info@example.com")
        self.assertEqual(reply.fields.get("auth_user"), "alice@example.com")


if __name__ == "__main__":
    unittest.main()
