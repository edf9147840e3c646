"""Functional sessions are confined to their account and to their right
(mail plugin functional_session: src/dovecot23/session23.c on Dovecot 2.3,
src/dovecot24/session24.c on 2.4, with the lines of functional-rights.acl
in the site's own global ACL file).

Real slapd (fixtures/directory.ldif), real Dovecot including
dovecot-example.conf with the installed auth module and mail plugin, real
IMAP/POP3 clients. The site is UCS-like: the ACL plugin for everybody with
the site's own global ACL file (SITE_ACL plus the functional-rights.acl
lines), acl_shared_dict (2.4: acl_sharing_map), a private inbox namespace,
everybody's shared mailboxes under shared/<user>/ and public folders under
public/ (SITE_CONF, written in the dialect of the Dovecot under test).
bob shares his INBOX with alice (lr) and frank (every right) and his folder
Projects with alice; public/News is readable by anyone. One slapd and one
Dovecot per class:

  ConfinementTest           the site as above: ordinary sessions still
                            share; functional sessions of every level see
                            only their account, with exactly their rights,
                            whatever the site's rules or per-mailbox ACLs
                            add; the site's negative rules still restrict
  WithoutSessionPluginTest  mail_plugins lacks functional_session: a
                            functional session has no rights on the account
  WithoutAclPluginTest      mail_plugins lacks acl (IMAP), or acl_user names
                            the account (POP3; on 2.4 forced with `pop3 -o`,
                            as the userdb's acl_user beats the config file):
                            functional sessions refused with the plugin's
                            reason in the log

The classes and their assertions are the same on Dovecot 2.3 and 2.4; only
the config text differs (harness.dialect()).

No test fails a login, so none waits for auth_failure_delay. Run:

    FA_REQUIRE_MODULE=1 /usr/bin/python3 -m unittest \\
        tests.integration.test_confinement -v
"""

import imaplib
import os
import poplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_authorization import (  # noqa: E402
    PASSWORDS, RIGHTS, pw, require_module, rights_set)

PLUGIN_PATH = "/usr/lib/dovecot/modules/lib00_functional_session_plugin.so"

# The site's own namespaces and ACL settings (UCS: 10-mail.conf), in the
# dialect of the Dovecot under test. Public folders live in a pseudo user's
# maildir, so harness deliver() fills them. On 2.4 the shared prefix names
# the owner as $user (shared-storage.c; a %{...} there would be expanded
# for the session's own user) and its mail_path as %{owner_user}.
SITE_CONF = harness.dialect("""
namespace inbox {
  type = private
  separator = /
  prefix =
  inbox = yes
}
namespace shared {
  type = shared
  separator = /
  prefix = shared/%%u/
  location = maildir:@TMPDIR@/mail/%%d/%%n
  subscriptions = no
  list = children
}
namespace public {
  type = public
  separator = /
  prefix = public/
  location = maildir:@TMPDIR@/mail/public.test/board
  subscriptions = no
  list = children
}
plugin {
  acl = vfile:@TMPDIR@/global-acls
  acl_shared_dict = file:@TMPDIR@/mail/shared-mailboxes.db
}
""", """
namespace inbox {
  type = private
  separator = /
  prefix =
  inbox = yes
}
namespace shared {
  type = shared
  separator = /
  prefix = shared/$user/
  mail_driver = maildir
  mail_path = @TMPDIR@/mail/%{owner_user | domain}/%{owner_user | username}
  subscriptions = no
  list = children
}
namespace public {
  type = public
  separator = /
  prefix = public/
  mail_driver = maildir
  mail_path = @TMPDIR@/mail/public.test/board
  subscriptions = no
  list = children
}
acl_driver = vfile
acl_global_path = @TMPDIR@/global-acls
acl_sharing_map {
  dict file {
    path = @TMPDIR@/mail/shared-mailboxes.db
  }
}
""")
PUBLIC_BOARD = "board@public.test"

# The site's own global ACL rules; functional-rights.acl is appended. Frozen
# restricts (a negative right for anyone); Wide* and Wider would widen
# (every right for anyone, authenticated and carol by name; Wider also
# takes 'p' from carol, the case where a negative line for the functional
# group would lose to the person's rule).
SITE_ACL = """\
# site rules (tests/integration/test_confinement.py)
public/* anyone lrs
Frozen -anyone wste
Wide* anyone lrwstipekxa
Wide* authenticated lrwstipekxa
Wide* user=carol@example.com lrwstipekxa
Wider user=carol@example.com lrwstipekxa
Wider -user=carol@example.com p
"""
# The folders of every functional account of the tests.
ACCOUNT_FOLDERS = {"INBOX", "Frozen", "Wide", "Wider"}
FROZEN_TAKES = set("wste")

# Functional sessions: login -> granted level.
SESSIONS = {
    "frank@example.com/level-read@example.com": "read",
    "frank@example.com/level-post@example.com": "post",
    "frank@example.com/level-append@example.com": "append",
    "frank@example.com/level-write@example.com": "write",
    "frank@example.com/level-all@example.com": "all",
    "alice@example.com/info@example.com": "all",          # OX member
    "carol@example.com/helpdesk@example.com": "read",
    "erin@example.com/helpdesk@example.com": "write",     # group support
}
ACCOUNTS = sorted({login.split("/")[1] for login in SESSIONS} |
                  {"projects@example.com"})
READ_SESSIONS = [login for login, level in SESSIONS.items()
                 if level == "read"]

# Other people's mailboxes and public folders, as a session would name them.
OTHERS = ("shared/bob@example.com", "shared/bob@example.com/INBOX",
          "shared/bob@example.com/Projects", "public/News")
BOB_INBOX = "shared/bob@example.com/INBOX"


def message(subject):
    return ("From: sender@example.org\nSubject: %s\n"
            "Date: Mon, 24 Nov 2025 10:00:00 +0000\n\n%s\n"
            % (subject, subject))


def require_mail_plugin():
    if not os.path.exists(PLUGIN_PATH):
        why = "%s is not installed (run ./scripts/build.sh)" % PLUGIN_PATH
        if os.environ.get("FA_REQUIRE_MODULE"):
            raise AssertionError(why + " and FA_REQUIRE_MODULE is set")
        raise unittest.SkipTest(why)


def list_names(conn, ref='""', pattern="*"):
    typ, data = conn.list(ref, pattern)
    if typ != "OK":
        raise AssertionError("LIST %s %s: %s %r" % (ref, pattern, typ, data))
    names = []
    for line in data:
        if isinstance(line, bytes):
            # (flags) "/" name
            names.append(line.decode().split(' "/" ', 1)[1].strip('"'))
    return set(names)


class _SiteCase(unittest.TestCase):
    """One slapd and one Dovecot with SITE_CONF and SITE_ACL; helpers."""
    maxDiff = None
    extra_conf = ""
    plugin_settings = {}

    @classmethod
    def setUpClass(cls):
        require_module()
        require_mail_plugin()
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        # session_acl empty: the site's acl setting applies in functional
        # sessions too (the auth side does not replace it)
        settings = dict(session_acl="", **cls.plugin_settings)
        cls.dovecot = harness.Dovecot(
            ldap_uri=cls.slapd.uri, start=False,
            plugin_conf_text=harness.fixture_plugin_conf(cls.slapd.uri,
                                                         **settings),
            extra_conf=SITE_CONF + cls.extra_conf)
        cls.addClassCleanup(cls.dovecot.cleanup)
        with open(harness.RIGHTS_ACL_FILE) as f:
            rights_lines = f.read()
        with open(os.path.join(cls.dovecot.tmpdir, "global-acls"), "w") as f:
            f.write(SITE_ACL + rights_lines)
        for account in ACCOUNTS:
            cls.dovecot.deliver(account, message("for " + account))
            for folder in sorted(ACCOUNT_FOLDERS - {"INBOX"}):
                cls.dovecot.deliver(account, message(folder), folder=folder)
        cls.dovecot.deliver("bob@example.com", message("bob's own"))
        cls.dovecot.deliver("bob@example.com", message("bob's project"),
                            folder="Projects")
        cls.dovecot.deliver(PUBLIC_BOARD, message("news"), folder="News")
        cls.dovecot.start()

    def login(self, user, password=None):
        """IMAP LOGIN; logged out at test end."""
        try:
            conn = harness.imap_login(self.dovecot.imap_port, user,
                                      password or pw(user))
        except imaplib.IMAP4.error as e:
            self.fail("IMAP login %r refused: %s\n%s" % (
                user, e, self.dovecot.log_text()[-3000:]))
        self.addCleanup(self._logout, conn)
        return conn

    @staticmethod
    def _logout(conn):
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            conn.shutdown()

    def myrights(self, conn, mailbox):
        """MYRIGHTS of mailbox as a set (without RFC 2086's c and d)."""
        typ, data = conn.myrights(mailbox)
        self.assertEqual(typ, "OK", "MYRIGHTS %s: %r" % (mailbox, data))
        return rights_set(data[-1].decode().split()[-1])


# =============================================================================

class ConfinementTest(_SiteCase):
    """The UCS-like site with both plugins: mail_plugins = $mail_plugins
    acl functional_session (dovecot-example.conf)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        bob = harness.imap_login(cls.dovecot.imap_port, "bob@example.com",
                                 PASSWORDS["bob"])
        try:
            for mailbox, who, rights in (
                    ("INBOX", "alice@example.com", "lr"),
                    ("INBOX", "frank@example.com", "lrwstipekxa"),
                    ("Projects", "alice@example.com", "lrs"),
                    ("Projects", "carol@example.com", "lrs")):
                typ, data = bob.setacl(mailbox, who, rights)
                if typ != "OK":
                    raise AssertionError("bob's SETACL %s %s: %r"
                                         % (mailbox, who, data))
            cls.bob_inbox_acl = bob.getacl("INBOX")
        finally:
            bob.logout()
        # carol's own folders with the site's rules: they bind owners too
        for folder in ("Frozen", "Wider"):
            cls.dovecot.deliver("carol@example.com", message(folder),
                                folder=folder)

    # --- ordinary sessions -------------------------------------------------

    def test_ordinary_session_still_sees_shared_and_public_mailboxes(self):
        alice = self.login("alice@example.com")
        names = list_names(alice)
        for name in ("INBOX", "shared/bob@example.com",
                     "shared/bob@example.com/Projects", "public/News"):
            self.assertIn(name, names)
        typ, data = alice.select(BOB_INBOX, readonly=True)
        self.assertEqual(typ, "OK", data)
        self.assertGreaterEqual(int(data[0]), 1)
        self.assertEqual(self.myrights(alice, BOB_INBOX), set("lr"))
        typ, data = alice.select("shared/bob@example.com/Projects",
                                 readonly=True)
        self.assertEqual(typ, "OK", data)
        typ, data = alice.status("public/News", "(MESSAGES)")
        self.assertEqual(typ, "OK", data)
        self.assertIn(b"MESSAGES 1", data[0])

    def test_ordinary_person_has_her_own_rights_on_shared_mailbox(self):
        # the premise of the confinement tests: as himself, frank may do
        # everything with bob's INBOX
        frank = self.login("frank@example.com")
        self.assertEqual(self.myrights(frank, BOB_INBOX),
                         set(RIGHTS["all"]))

    def test_site_rules_bind_ordinary_owners(self):
        # the site's rules are live: they restrict carol in her own folders
        carol = self.login("carol@example.com")
        self.assertEqual(self.myrights(carol, "INBOX"), set(RIGHTS["all"]))
        self.assertEqual(self.myrights(carol, "Frozen"),
                         set(RIGHTS["all"]) - FROZEN_TAKES)
        self.assertEqual(self.myrights(carol, "Wider"),
                         set(RIGHTS["all"]) - {"p"})

    # --- functional sessions: only the account ---------------------------

    def test_functional_session_lists_only_its_account(self):
        for login in SESSIONS:
            with self.subTest(login=login):
                conn = self.login(login)
                self.assertEqual(list_names(conn), ACCOUNT_FOLDERS)
                self.assertEqual(list_names(conn, '""', "%"),
                                 ACCOUNT_FOLDERS)
                for ref, pattern in (('""', "shared*"), ('""', "shared/*"),
                                     ('"shared/"', "*"), ('""', "public*"),
                                     ('"public/"', "*"), ('""', "*/INBOX")):
                    self.assertEqual(list_names(conn, ref, pattern), set(),
                                     "LIST %s %s" % (ref, pattern))
                typ, data = conn.namespace()
                self.assertEqual(typ, "OK", data)
                self.assertEqual(data[0], b'(("" "/")) NIL NIL')

    def test_functional_session_cannot_open_others_mailboxes(self):
        # frank may do anything with bob's INBOX as himself, alice and
        # carol may read some of bob's folders: not from these sessions
        for login in SESSIONS:
            conn = self.login(login)
            self.assertEqual(conn.select("INBOX")[0], "OK")
            for mailbox in OTHERS:
                with self.subTest(login=login, mailbox=mailbox):
                    for what, (typ, data) in (
                            ("SELECT", conn.select(mailbox)),
                            ("EXAMINE", conn.select(mailbox, readonly=True)),
                            ("STATUS", conn.status(mailbox, "(MESSAGES)")),
                            ("APPEND", conn.append(
                                mailbox, None, None,
                                b"Subject: x\r\n\r\nx\r\n"))):
                        self.assertEqual(typ, "NO", "%s %s: %r"
                                         % (what, mailbox, data))
                    self.assertEqual(conn.select("INBOX")[0], "OK")
                    typ, data = conn.copy("1", mailbox)
                    self.assertEqual(typ, "NO", "COPY: %r" % data)

    def test_functional_session_cannot_see_or_set_others_acls(self):
        for login, level in SESSIONS.items():
            conn = self.login(login)
            for mailbox in OTHERS:
                with self.subTest(login=login, mailbox=mailbox):
                    for what, (typ, data) in (
                            ("GETACL", conn.getacl(mailbox)),
                            ("SETACL", conn.setacl(
                                mailbox, login.split("/")[0],
                                "lrwstipekxa")),
                            ("DELETEACL", conn.deleteacl(
                                mailbox, "alice@example.com"))):
                        self.assertEqual(typ, "NO", "%s %s: %r"
                                         % (what, mailbox, data))
                        self.assertIn(b"NONEXISTENT", data[0])
                    # MYRIGHTS answers for any name: here it is a name in
                    # the account that does not exist, with the level's
                    # rights, never bob's ACL for the person
                    self.assertEqual(self.myrights(conn, mailbox),
                                     set(RIGHTS[level]))
        bob = self.login("bob@example.com")
        self.assertEqual(bob.getacl("INBOX"), self.bob_inbox_acl)

    # --- functional sessions: exactly the granted right -------------------

    def test_functional_session_has_its_levels_rights(self):
        # also shows the hook order: had the ACL plugin read acl_groups
        # before functional_session set it, there would be no rights
        for login, level in SESSIONS.items():
            with self.subTest(login=login):
                conn = self.login(login)
                self.assertEqual(self.myrights(conn, "INBOX"),
                                 set(RIGHTS[level]))

    def test_read_session_cannot_change_the_account(self):
        for login in READ_SESSIONS:
            with self.subTest(login=login):
                conn = self.login(login)
                typ, data = conn.select("INBOX")
                self.assertEqual(typ, "OK", data)
                count = int(data[0])
                typ, data = conn.append("INBOX", None, None,
                                        b"Subject: x\r\n\r\nx\r\n")
                self.assertEqual(typ, "NO", data)
                self.assertIn(b"NOPERM", data[0])
                # without 't' Dovecot answers OK but sets no \Deleted
                conn.store("1", "+FLAGS", "(\\Deleted)")
                typ, data = conn.fetch("1", "(FLAGS)")
                self.assertEqual(typ, "OK", data)
                self.assertNotIn(b"\\Deleted", data[0])
                conn.expunge()
                typ, data = conn.select("INBOX")
                self.assertEqual(int(data[0]), count)
                self.assertEqual(conn.create("New")[0], "NO")
                self.assertEqual(conn.setacl("INBOX", "bob@example.com",
                                             "lr")[0], "NO")

    def test_site_negative_rule_still_restricts(self):
        for login, level in SESSIONS.items():
            with self.subTest(login=login):
                conn = self.login(login)
                self.assertEqual(self.myrights(conn, "Frozen"),
                                 set(RIGHTS[level]) - FROZEN_TAKES)
        # the write session cannot delete in Frozen
        conn = self.login("erin@example.com/helpdesk@example.com")
        self.assertEqual(conn.select("Frozen")[0], "OK")
        conn.store("1", "+FLAGS", "(\\Deleted)")
        typ, data = conn.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Deleted", data[0])

    def test_site_widening_rules_do_not_widen(self):
        for login, level in SESSIONS.items():
            person = login.split("/")[0]
            with self.subTest(login=login):
                conn = self.login(login)
                self.assertEqual(self.myrights(conn, "Wide"),
                                 set(RIGHTS[level]))
                # carol's own rule on Wider takes 'p' from her
                self.assertEqual(self.myrights(conn, "Wider"),
                                 set(RIGHTS[level]) -
                                 ({"p"} if person == "carol@example.com"
                                  else set()))
        conn = self.login("carol@example.com/helpdesk@example.com")
        typ, data = conn.append("Wide", None, None,
                                b"Subject: x\r\n\r\nx\r\n")
        self.assertEqual(typ, "NO", data)

    def test_per_mailbox_acl_cannot_widen_a_session(self):
        # ivan (all) gives grace every right on the account's INBOX; her
        # session keeps the right the directory gave her (read)
        ivan = self.login("ivan@example.com/projects@example.com")
        self.assertEqual(self.myrights(ivan, "INBOX"), set(RIGHTS["all"]))
        typ, data = ivan.setacl("INBOX", "grace@example.com", "lrwstipekxa")
        self.assertEqual(typ, "OK", data)
        self.addCleanup(ivan.deleteacl, "INBOX", "grace@example.com")
        typ, data = ivan.getacl("INBOX")
        self.assertEqual(typ, "OK", data)
        words = data[0].decode().split()
        self.assertEqual(rights_set(words[words.index("grace@example.com")
                                          + 1]), set(RIGHTS["all"]))
        grace = self.login("grace@example.com/projects@example.com")
        self.assertEqual(self.myrights(grace, "INBOX"), set(RIGHTS["read"]))
        typ, data = grace.append("INBOX", None, None,
                                 b"Subject: x\r\n\r\nx\r\n")
        self.assertEqual(typ, "NO", data)

    def test_all_session_sets_acls_only_inside_its_account(self):
        alice_info = self.login("alice@example.com/info@example.com")
        # inside the account: allowed, and bob then sees the account's
        # INBOX as a shared mailbox (with his own rights, lr)
        typ, data = alice_info.setacl("INBOX", "bob@example.com", "lr")
        self.assertEqual(typ, "OK", data)
        self.addCleanup(alice_info.deleteacl, "INBOX", "bob@example.com")
        bob = self.login("bob@example.com")
        self.assertIn("shared/info@example.com", list_names(bob))
        self.assertEqual(self.myrights(bob, "shared/info@example.com/INBOX"),
                         set("lr"))
        # outside: bob's INBOX cannot be named, so alice gains nothing
        for mailbox in ("shared/bob@example.com",
                        "shared/bob@example.com/INBOX"):
            typ, data = alice_info.setacl(mailbox, "alice@example.com",
                                          "lrwstipekxa")
            self.assertEqual(typ, "NO", data)
        alice = self.login("alice@example.com")
        self.assertEqual(self.myrights(alice, BOB_INBOX), set("lr"))
        self.assertEqual(bob.getacl("INBOX"), self.bob_inbox_acl)


# =============================================================================

class WithoutSessionPluginTest(_SiteCase):
    """mail_plugins has acl but not functional_session: a functional
    session gets no ACL group and, not being the owner, no rights on the
    account's mailboxes (fails closed). session_mail_plugins is emptied,
    so the userdb does not add the plugins either."""
    plugin_settings = {"session_mail_plugins": ""}
    extra_conf = harness.dialect("""
protocol imap {
  mail_plugins = acl imap_acl
}
protocol pop3 {
  mail_plugins = acl
}
""", """
mail_plugins {
  functional_session = no
}
""")

    def test_functional_session_has_no_rights(self):
        for login in ("frank@example.com/level-all@example.com",
                      "alice@example.com/info@example.com",
                      "carol@example.com/helpdesk@example.com"):
            with self.subTest(login=login):
                conn = self.login(login)
                # without 'l' Dovecot does not even admit that it exists
                typ, data = conn.myrights("INBOX")
                self.assertEqual(typ, "NO", data)
                self.assertIn(b"NONEXISTENT", data[0])
                self.assertEqual(conn.select("INBOX")[0], "NO")
                self.assertEqual(conn.append(
                    "INBOX", None, None, b"Subject: x\r\n\r\nx\r\n")[0], "NO")
                # (LIST shows INBOX whatever the rights)
                self.assertNotIn("Frozen", list_names(conn))

    def test_site_rules_still_apply_to_the_person(self):
        # the global file is in force: its rule for anyone on Wide* is all
        # the person gets there
        conn = self.login("frank@example.com/level-read@example.com")
        self.assertEqual(self.myrights(conn, "Wide"), set(RIGHTS["all"]))

    def test_ordinary_session_unaffected(self):
        conn = self.login("alice@example.com")
        self.assertEqual(self.myrights(conn, "INBOX"), set(RIGHTS["all"]))
        self.assertEqual(conn.select("INBOX")[0], "OK")


class WithoutAclPluginTest(_SiteCase):
    """IMAP without the ACL plugin, POP3 with an acl_user that names the
    account (2.4: an empty one, which means the account; its owner rights): functional_session refuses the functional
    session instead of opening it unenforced; ordinary sessions work.
    session_mail_plugins = functional_session: the userdb adds only ours."""
    plugin_settings = {"session_mail_plugins": "functional_session"}
    # On 2.4 the userdb reply (acl_user=<person>) overrides the config
    # file, so a site's `acl_user = %{user}` cannot take effect there; a
    # command-line override (-o, not var-expanded) ranks above the userdb.
    # It empties acl_user, which makes the ACL plugin take the mailbox
    # owner, i.e. the account, as ACL user (acl-backend.c): the same case.
    extra_conf = harness.dialect("""
protocol imap {
  mail_plugins = functional_session
}
protocol pop3 {
  mail_plugins = acl functional_session
  plugin {
    acl_user = %u
  }
}
""", """
protocol imap {
  mail_plugins {
    acl = no
    imap_acl = no
  }
}
service pop3 {
  executable = pop3 -o acl_user=
}
""")

    def refused_log(self, login, words):
        text = harness.wait_log(self.dovecot, 0, lambda t: any(
            "functional_session: refusing the session of " + login in line
            and words in line for line in t.splitlines()))
        lines = [line for line in text.splitlines()
                 if "functional_session: refusing" in line and login in line]
        self.assertTrue(any(words in line for line in lines),
                        "no refusal for %s (%r) in the log:\n%s"
                        % (login, words, text[-3000:]))
        return lines

    def test_imap_session_refused_without_acl_plugin(self):
        conn = imaplib.IMAP4("127.0.0.1", self.dovecot.imap_port, timeout=30)
        self.addCleanup(conn.shutdown)
        typ, data = conn.login('"frank@example.com/level-read@example.com"',
                               PASSWORDS["frank"])
        # the mail process reports a failed initialisation after the login
        self.assertIn(b"initialization failed", b" ".join(data))
        with self.assertRaises((imaplib.IMAP4.abort, OSError)):
            typ, data = conn.select("INBOX")
            if typ != "OK":
                raise imaplib.IMAP4.abort(data)
        lines = self.refused_log(
            "frank@example.com as level-read@example.com",
            harness.dialect("Dovecot's ACL plugin is not active",
                            "Dovecot's ACL plugin is not loaded"))
        self.assertTrue(any("Error" in line for line in lines), lines)

    def test_pop3_session_refused_when_acl_user_is_the_account(self):
        with self.assertRaises(poplib.error_proto):
            conn = harness.pop3_login(self.dovecot.pop3_port,
                                      "carol@example.com/helpdesk@example.com",
                                      PASSWORDS["carol"])
            conn.quit()
        self.refused_log("carol@example.com as helpdesk@example.com",
                         "the ACL user would be the account itself")

    def test_ordinary_sessions_work(self):
        conn = self.login("alice@example.com")
        self.assertEqual(conn.select("INBOX")[0], "OK")
        pop = harness.pop3_login(self.dovecot.pop3_port, "bob@example.com",
                                 PASSWORDS["bob"])
        self.assertGreaterEqual(pop.stat()[0], 1)
        pop.quit()


if __name__ == "__main__":
    unittest.main()
