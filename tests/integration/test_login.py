"""Functional-account logins end to end: real slapd, real Dovecot, real
clients (imaplib, poplib, doveadm, Dovecot's auth-client socket).

Starts, once for the whole class (harness.py): one slapd with
fixtures/directory.ldif and one Dovecot including dovecot-example.conf with
the installed module /usr/lib/dovecot/modules/auth/libauthdb_functional.so.
All their files live in /tmp/fa-slapd-* and /tmp/fa-dovecot-* (removed at
the end; FA_KEEP_TMP=1 keeps them). Run from the top of the project:

    /usr/bin/python3 -m unittest discover -s tests/integration -v

Without the module (before `make install`) the tests are skipped, unless
FA_REQUIRE_MODULE=1 is set: then a missing module is a failure.
"""

import imaplib
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ALICE_PW = harness.PASSWORDS["alice"]
BOB_PW = harness.PASSWORDS["bob"]
INFO_SUBJECT = "for the info team"
SALES_SUBJECT = "for the sales team"
ALICE_SUBJECT = "for alice only"

# Logins that must be refused, sent pipelined once (each failure waits
# auth_failure_delay; together they wait it once). name: (login, password)
DENIALS = {
    "non_member": ("bob@example.com/info@example.com", BOB_PW),
    "wrong_password": ("alice@example.com/info@example.com", "wrong-secret"),
    "empty_password": ("alice@example.com/info@example.com", ""),
    "unknown_person": ("nobody@example.com/info@example.com", "nobody-secret"),
    "unknown_target": ("alice@example.com/nothing@example.com", ALICE_PW),
    "person_as_target": ("alice@example.com/carol@example.com", ALICE_PW),
}
# Words of which a denial's log line must contain at least one.
REASON_WORDS = ("denied", "unknown", "not found", "no such", "password",
                "credentials", "mismatch", "empty", "member", "no rule",
                "not allowed", "disabled", "not a functional")


def message(to, subject):
    return ("From: sender@example.org\nTo: %s\nSubject: %s\n"
            "Date: Mon, 24 Nov 2025 10:00:00 +0000\n\n%s\n"
            % (to, subject, subject))


wait_log = harness.wait_log


def inbox_subjects(conn):
    """Subjects of all messages in INBOX of a logged-in imaplib conn."""
    typ, data = conn.select("INBOX", readonly=True)
    if typ != "OK":
        raise AssertionError("SELECT INBOX: %r" % data)
    typ, data = conn.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    return [part[1].decode().strip() for part in data
            if isinstance(part, tuple)]


class FunctionalLoginTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(harness.MODULE_PATH):
            why = ("%s is not installed (run `make install` first)"
                   % harness.MODULE_PATH)
            if os.environ.get("FA_REQUIRE_MODULE"):
                raise AssertionError(why + " and FA_REQUIRE_MODULE is set")
            raise unittest.SkipTest(why + "; set FA_REQUIRE_MODULE=1 to "
                                    "make this a failure")
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(cls.slapd.uri),
            ldap_uri=cls.slapd.uri, auth_debug=True)
        cls.addClassCleanup(cls.dovecot.cleanup)
        cls.dovecot.deliver("info@example.com",
                            message("info@example.com", INFO_SUBJECT))
        cls.dovecot.deliver("sales@example.com",
                            message("sales@example.com", SALES_SUBJECT))
        cls.dovecot.deliver("alice@example.com",
                            message("alice@example.com", ALICE_SUBJECT))
        cls._denials = None

    @classmethod
    def denials(cls):
        """{name: (AuthReply, log text of the batch)}, computed once."""
        if cls._denials is None:
            mark = cls.dovecot.log_size()
            # each request tagged with its own session, so that the wait
            # is for every one of its own lines (two denials have the same
            # login, and other tests log in with it too)
            tags = ["denial%02d" % i for i in range(len(DENIALS))]
            replies = harness.auth_client_many(
                cls.dovecot.auth_socket,
                [dict(user=u, password=p, extra=("session=" + tag,))
                 for (u, p), tag in zip(DENIALS.values(), tags)])
            log = wait_log(cls.dovecot, mark, lambda text: all(
                any("Auth request finished" in line
                    for line in harness.request_lines(text, tag))
                for tag in tags), harness.PATIENCE)
            cls._denials = {name: (reply, log)
                            for name, reply in zip(DENIALS, replies)}
        return cls._denials

    # --- helpers -----------------------------------------------------------

    def auth(self, user, password, **kw):
        """auth_client_login(); a dropped connection (auth process died)
        fails the test with the log's crash lines."""
        try:
            return harness.auth_client_login(self.dovecot.auth_socket, user,
                                             password, **kw)
        except ConnectionError as e:
            error = e
        crashes = [line for line in self.dovecot.log_text().splitlines()
                   if any(w in line for w in ("Panic:", "Fatal:",
                                              "killed with signal"))]
        self.fail("auth connection dropped (%s); the auth process "
                  "probably died:\n%s" % (error, "\n".join(crashes)))

    def login(self, user, password):
        conn = harness.imap_login(self.dovecot.imap_port, user, password)
        self.addCleanup(conn.logout)
        return conn

    def assertOpensInfo(self, user, password=ALICE_PW):
        subjects = inbox_subjects(self.login(user, password))
        self.assertIn("Subject: " + INFO_SUBJECT, subjects)
        self.assertNotIn("Subject: " + ALICE_SUBJECT, subjects)

    def assertDenied(self, name):
        reply, log = self.denials()[name]
        login = DENIALS[name][0]
        self.assertFalse(reply.ok, "%s (%s) was granted: %s"
                         % (name, login, reply.raw))
        self.assertFalse(reply.temp, "%s (%s) failed temporarily, expected "
                         "a plain denial: %s" % (name, login, reply.raw))
        self.assertNotEqual(reply.fields.get("user"), "info@example.com",
                            reply.raw)

    # --- granted -----------------------------------------------------------

    def test_person_slash_target_opens_target_mailbox(self):
        self.assertOpensInfo("alice@example.com/info@example.com")

    def test_uid_slash_target_opens_target_mailbox(self):
        self.assertOpensInfo("alice/info@example.com")

    def test_person_star_target_opens_target_mailbox(self):
        self.assertOpensInfo("alice@example.com*info@example.com")

    def test_sasl_authzid_opens_target_mailbox(self):
        conn = harness.imap_authenticate_plain(
            self.dovecot.imap_port, "alice@example.com", ALICE_PW,
            authzid="info@example.com")
        self.addCleanup(conn.logout)
        self.assertIn("Subject: " + INFO_SUBJECT, inbox_subjects(conn))

    def test_member_opens_other_target_over_pop3(self):
        conn = harness.pop3_login(self.dovecot.pop3_port,
                                  "bob@example.com/sales@example.com", BOB_PW)
        self.addCleanup(conn.quit)
        count, _ = conn.stat()
        self.assertGreaterEqual(count, 1)
        self.assertIn(SALES_SUBJECT.encode(), b"\n".join(conn.retr(1)[1]))

    def test_plain_login_reaches_own_mailbox_via_site_ldap(self):
        subjects = inbox_subjects(self.login("alice@example.com", ALICE_PW))
        self.assertIn("Subject: " + ALICE_SUBJECT, subjects)
        self.assertNotIn("Subject: " + INFO_SUBJECT, subjects)

    def test_auth_reply_names_target_as_user_and_person_as_auth_user(self):
        reply = self.auth("alice@example.com/info@example.com", ALICE_PW)
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "info@example.com")
        self.assertEqual(reply.fields.get("auth_user"), "alice@example.com")

    def test_doveadm_auth_test_shows_person_and_target(self):
        rc, out = harness.doveadm_auth_test(
            self.dovecot.conf_path, "alice@example.com/info@example.com",
            ALICE_PW)
        self.assertEqual(rc, 0, out)
        self.assertIn("user=info@example.com", out)
        self.assertTrue("master_user=alice@example.com" in out or
                        "auth_user=alice@example.com" in out, out)

    def test_doveadm_auth_login_gives_session_fields_only(self):
        rc, out, userdb = harness.doveadm_auth_login(
            self.dovecot.conf_path, "alice@example.com/info@example.com",
            ALICE_PW)
        self.assertEqual(rc, 0, out)
        fields = ["functional_acl_groups=functional-all",
                  "master_user=alice@example.com",
                  harness.dialect("quota_rule=*:storage=500M",
                                  "quota_storage_size=500M"),
                  "home=" + os.path.join(self.dovecot.vmail_dir,
                                         "example.com", "info")]
        if harness.DOVECOT24:
            # 2.4.1-2.4.4 lose master_user on the mail side: the ACL user
            # must be the person, named explicitly (else: the owner)
            fields.append("acl_user=alice@example.com")
        for field in fields:
            self.assertIn("\n  %s\n" % field, userdb, out)
        if harness.DOVECOT24:
            self.assertNotIn("acl_user=info@example.com", userdb, out)
        # the passdb's hand-over to the userdb stays inside the auth process
        self.assertNotIn("functional_grant", out)

    def test_userdb_gives_target_home_and_quota(self):
        rc, out = harness.doveadm_user(self.dovecot.conf_path,
                                       "info@example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn(os.path.join(self.dovecot.vmail_dir, "example.com",
                                   "info"), out)
        # 2.3: quota_rule *:storage=500M; 2.4: quota_storage_size 500M
        self.assertRegex(out, harness.dialect(
            r"(?m)^\s*quota_rule\s*[=\t]\s*\*:storage=500M\s*$",
            r"(?m)^\s*quota_storage_size\s*[=\t]\s*500M\s*$"))

    def test_login_log_names_person_and_mailbox(self):
        mark = self.dovecot.log_size()
        self.login("carol@example.com/info@example.com",
                   harness.PASSWORDS["carol"])
        text = wait_log(self.dovecot, mark,
                        lambda text: "auth_user=<carol@example.com>" in text)
        # 2.3 calls the line "Login:", 2.4 "Logged in:"
        logins = [line for line in text.splitlines()
                  if "imap-login" in line and
                  harness.dialect("Login:", "Logged in:") in line]
        self.assertTrue(any("user=<info@example.com>" in line and
                            "auth_user=<carol@example.com>" in line
                            for line in logins), logins)

    # --- refused -----------------------------------------------------------

    def test_non_member_is_refused(self):
        self.assertDenied("non_member")

    def test_wrong_password_is_refused(self):
        self.assertDenied("wrong_password")

    def test_empty_password_is_refused(self):
        self.assertDenied("empty_password")

    def test_unknown_person_is_refused(self):
        self.assertDenied("unknown_person")

    def test_unknown_target_is_refused(self):
        self.assertDenied("unknown_target")

    def test_personal_mailbox_is_not_a_target(self):
        self.assertDenied("person_as_target")

    def test_imap_refuses_non_member(self):
        # one real IMAP refusal (the rest go through the auth socket)
        with self.assertRaises(imaplib.IMAP4.error):
            self.login("bob@example.com/info@example.com", BOB_PW)

    def test_denials_are_logged_with_reason(self):
        denials = self.denials()
        log = next(iter(denials.values()))[1]
        for name, (login, _) in DENIALS.items():
            lines = [line for line in log.splitlines() if login in line]
            self.assertTrue(
                any(w in line.lower() for line in lines
                    for w in REASON_WORDS),
                "no log line names the reason for %s (%s):\n%s"
                % (name, login, "\n".join(lines) or log))

    def test_log_never_contains_passwords(self):
        self.denials()
        log = self.dovecot.log_text()
        for who, password in harness.PASSWORDS.items():
            self.assertNotIn(password, log, "password of %s in the log" % who)
        self.assertNotIn("wrong-secret", log)

    # --- directory outage ----------------------------------------------------

    def test_directory_outage_is_temporary_failure_then_recovers(self):
        login = ("alice@example.com/info@example.com", ALICE_PW)
        # what a login takes here and now, for the recovery bound below
        baseline = harness.baseline_seconds(
            lambda: self.assertTrue(self.auth(*login).ok))
        self.slapd.stop()
        try:
            reply = self.auth(*login)
            self.assertFalse(reply.ok, reply.raw)
            self.assertTrue(reply.temp, "expected a temporary failure "
                            "while slapd is down: %s" % reply.raw)
        finally:
            self.slapd.start()
        # from when slapd answers again: at most one more login fails
        # (a connect within ldap_timeout, then Dovecot's failure delay)
        # before the next one gets through
        answering = time.monotonic()
        limit = (float(harness.example_default("ldap_timeout")) +
                 self.dovecot.failure_delay_max() + 4 * baseline)
        while True:
            reply = self.auth(*login)
            if reply.ok or time.monotonic() > answering + limit:
                break
            time.sleep(0.2)
        self.assertTrue(reply.ok, "no recovery within %.1f s after slapd "
                        "came back: %s" % (limit, reply.raw))
        self.assertEqual(reply.fields.get("user"), "info@example.com")


@unittest.skipUnless(os.path.exists(harness.MODULE_PATH) or
                     os.environ.get("FA_REQUIRE_MODULE"),
                     "module not installed")
class ConfigErrorTest(unittest.TestCase):
    """A bad functional-accounts.conf stops the auth process at startup
    with the file, the line and the reason; no login gets through."""

    def test_unknown_key_stops_auth_with_file_line_and_reason(self):
        conf = harness.fixture_plugin_conf(ldap_uri="ldap://127.0.0.1:1/")
        lines = conf.count("\n") + 1
        conf += "\nbogus_key = 1\n"
        with harness.Dovecot(plugin_conf_text=conf) as dovecot:
            # 2.4 names the passdb block the error came from
            pattern = harness.dialect(
                "Fatal: functional: ",
                "auth: Fatal: passdb functional: ") + (
                "%s:%d: unknown setting 'bogus_key'" % (
                    dovecot.plugin_conf_path, lines + 1))
            # the auth process (under FA_VALGRIND: valgrind) starts and
            # dies: a give-up limit only, the line is there long before
            deadline = time.monotonic() + harness.PATIENCE
            while (pattern not in dovecot.log_text() and
                   time.monotonic() < deadline):
                time.sleep(0.2)
            self.assertIn(pattern, dovecot.log_text())
            try:
                reply = harness.auth_client_login(
                    dovecot.auth_socket, "alice@example.com/info@example.com",
                    ALICE_PW, timeout=5)
                self.assertFalse(reply.ok, reply.raw)
            except OSError:
                pass  # no auth process to answer at all: also refused


@unittest.skipUnless(os.path.exists(harness.MODULE_PATH) or
                     os.environ.get("FA_REQUIRE_MODULE"),
                     "module not installed")
class RightWithoutSiteAclPluginTest(unittest.TestCase):
    """A site whose mail_plugins lacks acl still gets the granted right
    enforced in functional sessions, and its ordinary sessions are left
    alone. On 2.3 the userdb loads acl into functional sessions
    (session_mail_plugins = acl). 2.4 cannot load mail plugins from the
    userdb (they load before its reply): there the session must at least
    fail closed, i.e. be refused. `mail_plugins =` empties the list on
    both versions (on 2.4 an empty `mail_plugins { }` block would not)."""

    @classmethod
    def setUpClass(cls):
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.dovecot = harness.Dovecot(
            ldap_uri=cls.slapd.uri,
            extra_conf="mail_plugins =\nprotocol imap {\n"
                       "  mail_plugins =\n}\n")
        cls.addClassCleanup(cls.dovecot.cleanup)
        cls.dovecot.deliver("helpdesk@example.com",
                            "Subject: ticket\r\n\r\nbody\r\n")

    def helpdesk_messages(self):
        """How many message files helpdesk's INBOX holds (Maildir new/
        and cur/; SELECT moves them from new/ to cur/)."""
        inbox = os.path.join(self.dovecot.mail_dir, "example.com",
                             "helpdesk")
        return sum(len(os.listdir(os.path.join(inbox, sub)))
                   for sub in ("new", "cur"))

    def test_read_grant_cannot_append_without_site_acl_plugin(self):
        before = self.helpdesk_messages()
        refused = None
        try:
            conn = harness.imap_login(
                self.dovecot.imap_port,
                "carol@example.com/helpdesk@example.com",
                harness.PASSWORDS["carol"])
        except (imaplib.IMAP4.error, OSError, EOFError) as e:
            refused = e
        else:
            try:
                typ, data = conn.select("INBOX")
                if typ == "OK":
                    typ, data = conn.append("INBOX", None, None,
                                            b"Subject: x\r\n\r\ny\r\n")
                    self.assertEqual(typ, "NO", data)
                    self.assertIn(b"NOPERM", data[0])
                else:
                    refused = data
            except (imaplib.IMAP4.abort, OSError, EOFError) as e:
                refused = e   # the mail process refused the session
            finally:
                try:
                    conn.logout()
                except (imaplib.IMAP4.error, OSError, EOFError):
                    pass
        if refused is not None and not harness.DOVECOT24:
            # 2.3 loads acl from the userdb: the session works, read-only
            self.fail("the read session was refused instead of being "
                      "limited to read: %r" % (refused,))
        self.assertEqual(self.helpdesk_messages(), before,
                         "a read grant added a message")

    def test_ordinary_session_keeps_full_access(self):
        conn = harness.imap_login(self.dovecot.imap_port, "alice@example.com",
                                  ALICE_PW)
        try:
            conn.select("INBOX")
            typ, data = conn.append("INBOX", None, None,
                                    b"Subject: x\r\n\r\ny\r\n")
            self.assertEqual(typ, "OK", data)
        finally:
            conn.logout()


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(os.path.exists(harness.MODULE_PATH) or
                     os.environ.get("FA_REQUIRE_MODULE"),
                     "module not installed")
class UserdbIdNamesTest(unittest.TestCase):
    """userdb_uid / userdb_gid given as names (the default is vmail): the
    plugin resolves them once at startup, so sessions get the numbers and
    work; a name that does not resolve is reported at startup and kept."""

    @classmethod
    def setUpClass(cls):
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        # the same mail user and group as the other tests, by name
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(
                cls.slapd.uri, userdb_uid="@MAIL_USER@",
                userdb_gid="@MAIL_GROUP@"),
            ldap_uri=cls.slapd.uri)
        cls.addClassCleanup(cls.dovecot.cleanup)
        cls.uid, cls.gid = cls.dovecot.uid, cls.dovecot.gid
        cls.dovecot.deliver("info@example.com",
                            message("info@example.com", INFO_SUBJECT))

    def test_names_become_numbers_in_the_session(self):
        rc, out, userdb = harness.doveadm_auth_login(
            self.dovecot.conf_path, "alice@example.com/info@example.com",
            ALICE_PW)
        self.assertEqual(rc, 0, out)
        self.assertIn("\n  uid=%d\n" % self.uid, userdb)
        self.assertIn("\n  gid=%d\n" % self.gid, userdb)

    def test_imap_session_works(self):
        conn = harness.imap_login(self.dovecot.imap_port,
                                  "alice@example.com/info@example.com",
                                  ALICE_PW)
        self.addCleanup(conn.logout)
        self.assertIn("Subject: " + INFO_SUBJECT, inbox_subjects(conn))

    def test_unknown_name_is_reported_at_startup(self):
        conf = harness.fixture_plugin_conf(
            self.slapd.uri, userdb_uid="no-such-user-fa",
            userdb_gid="no-such-group-fa")
        with harness.Dovecot(plugin_conf_text=conf,
                             ldap_uri=self.slapd.uri) as dovecot:
            harness.auth_client_login(dovecot.auth_socket, "nobody", "x")
            log = wait_log(dovecot, 0, lambda t: "no such group" in t)
            self.assertIn("userdb_uid = no-such-user-fa: no such user", log)
            self.assertIn("userdb_gid = no-such-group-fa: no such group",
                          log)


@unittest.skipUnless(os.path.exists(harness.MODULE_PATH) or
                     os.environ.get("FA_REQUIRE_MODULE"),
                     "module not installed")
class ForeignGrantTest(unittest.TestCase):
    """The passdb hands its grant to the userdb in one field; if that field
    names another account (here forced with override_fields), the session
    is refused rather than left to the site's userdb, which would open the
    account without the granted right's limits.

    2.4 has no override_fields, and the functional passdb does not apply
    a `fields { }` block of its own; the forged field comes from a second
    passdb instead (the functional one continues with continue-ok, then a
    static passdb with the person's password adds the field in its
    `fields { }` block): any passdb after ours could set it."""
    extra_conf = ""

    @classmethod
    def setUpClass(cls):
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        with open(harness.EXAMPLE_CONF) as f:
            text = f.read()
        if harness.DOVECOT24:
            for old, new in (
                    ("  result_success = return-ok\n",
                     "  result_success = continue-ok\n"),
                    ("passdb functional-master {\n",
                     "passdb static {\n  password = %s\n  fields {\n"
                     "    userdb_functional_grant = all - bob@example.com\n"
                     "  }\n}\npassdb functional-master {\n" % ALICE_PW)):
                if old not in text:
                    raise AssertionError("%r not in %s" % (
                        old, harness.EXAMPLE_CONF))
                text = text.replace(old, new, 1)
        else:
            text = text.replace(
                "  driver = functional\n",
                "  driver = functional\n  override_fields = "
                "userdb_functional_grant=all - bob@example.com\n", 1)
        fd, path = tempfile.mkstemp(suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        cls.addClassCleanup(os.unlink, path)
        cls.dovecot = harness.Dovecot(example_conf=path,
                                      ldap_uri=cls.slapd.uri,
                                      extra_conf=cls.extra_conf)
        cls.addClassCleanup(cls.dovecot.cleanup)

    def test_foreign_grant_refuses_the_session(self):
        mark = self.dovecot.log_size()
        rc, out, userdb = harness.doveadm_auth_login(
            self.dovecot.conf_path, "alice@example.com/info@example.com",
            ALICE_PW)
        self.assertNotEqual(rc, 0, out)
        self.assertNotIn("home=", userdb, out)
        log = wait_log(self.dovecot, mark, lambda t: "foreign" in t)
        self.assertIn("refusing the session: malformed or foreign "
                      "functional_grant field", log)


class ForeignGrantSiteUserdbTest(ForeignGrantTest):
    """The same forged grant, on a site whose own userdb knows the account
    (here a catch-all static userdb after the LDAP one): the functional
    userdb's refusal must end the lookup, not hand the account to the
    site's userdb, which would open it with no ACL limits at all."""
    extra_conf = harness.dialect(
        "userdb {\n  driver = static\n  args = uid=@MAIL_UID@ "
        "gid=@MAIL_GID@ home=@TMPDIR@/catchall/%u\n}\n",
        "userdb static {\n  fields {\n    uid = @MAIL_UID@\n"
        "    gid = @MAIL_GID@\n    home = @TMPDIR@/catchall/%{user}\n"
        "  }\n}\n")
