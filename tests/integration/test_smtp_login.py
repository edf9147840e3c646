"""SMTP logins through the plugin: for the services in smtp_services
(Postfix's smtp, Dovecot's submission) composite and authzid logins are
refused by default, so that Postfix's sasl_username is always the person;
with smtp_functional_logins = yes they need send_min_right as well as
min_right. The auth cache is on: a cached IMAP grant must never answer an
SMTP login. Logins go over Dovecot's auth-client socket with the service
Postfix (service=smtp) and Dovecot's submission (service=submission) send;
test_sendas.py does the same through a real Postfix."""

import base64
import os
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PW = harness.PASSWORDS
CACHE_CONF = ("auth_cache_size = 1M\nauth_cache_ttl = 300 s\n"
              "auth_cache_negative_ttl = 300 s\n")


class _SmtpLoginCase(unittest.TestCase):
    plugin_settings = {}

    @classmethod
    def setUpClass(cls):
        harness.require_module()
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(
                cls.slapd.uri, **cls.plugin_settings),
            ldap_uri=cls.slapd.uri, auth_debug=True, extra_conf=CACHE_CONF)
        cls.addClassCleanup(cls.dovecot.cleanup)

    def auth(self, user, service, authzid=None, password=None):
        person = re.split(r"[/*@]", user)[0]
        return harness.auth_client_login(
            self.dovecot.auth_socket, user,
            password if password is not None else PW[person],
            authzid=authzid, service=service, rip=harness.unique_rip())

    def assert_refused(self, reply, what):
        self.assertFalse(reply.ok, "%s: accepted: %s" % (what, reply.raw))
        self.assertFalse(reply.temp, "%s: a temporary failure, expected a "
                         "refusal: %s" % (what, reply.raw))

    def assert_granted(self, reply, what, user):
        self.assertTrue(reply.ok, "%s: refused: %s" % (what, reply.raw))
        self.assertEqual(reply.fields.get("user"), user, what)


class SmtpLoginsRefusedTest(_SmtpLoginCase):
    """smtp_functional_logins = no (the default)."""

    def test_composite_logins_are_refused_for_smtp_and_submission(self):
        for service in ("smtp", "submission", "SMTP"):
            for login in ("alice@example.com/info@example.com",
                          "alice*info@example.com", "alice/info@example.com"):
                self.assert_refused(self.auth(login, service),
                                    "%s over %s" % (login, service))
        log = self.dovecot.log_text()
        self.assertIn("smtp_functional_logins = no", log)

    def test_authzid_logins_are_refused_for_smtp(self):
        for service in ("smtp", "submission"):
            self.assert_refused(
                self.auth("alice@example.com", service,
                          authzid="info@example.com"),
                "authzid over %s" % service)

    def test_the_same_login_over_imap_is_granted(self):
        self.assert_granted(self.auth("alice@example.com/info@example.com",
                                      "imap"), "imap", "info@example.com")

    def test_a_cached_imap_grant_does_not_answer_smtp(self):
        login = "carol@example.com/info@example.com"
        for i in range(2):
            self.assert_granted(self.auth(login, "imap"), "imap %d" % i,
                                "info@example.com")
        mark = self.dovecot.log_size()
        self.assert_refused(self.auth(login, "smtp"), "smtp after imap")
        # and a cached SMTP refusal does not answer IMAP
        self.assert_granted(self.auth(login, "imap"), "imap after smtp",
                            "info@example.com")
        self.assert_refused(self.auth(login, "smtp"), "smtp again")
        log = self.dovecot.log_text(mark)
        self.assertIn("smtp_functional_logins = no", log)

    def test_ordinary_logins_are_left_to_the_site(self):
        # the person's own login: not the plugin's, the site's passdb
        self.assert_granted(self.auth("alice@example.com", "smtp"),
                            "own login over smtp", "alice@example.com")

    def test_other_services_are_not_sending_services(self):
        self.assert_granted(self.auth("alice@example.com/info@example.com",
                                      "pop3"), "pop3", "info@example.com")


class SmtpLoginsAllowedTest(_SmtpLoginCase):
    """smtp_functional_logins = yes: then send_min_right applies too."""
    plugin_settings = dict(smtp_functional_logins="yes")

    def test_a_member_may_log_in_as_the_account_over_smtp(self):
        for service in ("smtp", "submission"):
            self.assert_granted(
                self.auth("alice@example.com/info@example.com", service),
                service, "info@example.com")
            self.assert_granted(
                self.auth("alice@example.com", service,
                          authzid="info@example.com"),
                service + " authzid", "info@example.com")

    def test_read_is_enough_for_imap_but_not_for_smtp(self):
        # carol reads helpdesk: min_right read is met, send_min_right
        # append is not
        login = "carol@example.com/helpdesk@example.com"
        self.assert_granted(self.auth(login, "imap"), "imap",
                            "helpdesk@example.com")
        mark = self.dovecot.log_size()
        self.assert_refused(self.auth(login, "smtp"), "smtp")
        self.assertIn("below send_min_right append",
                      self.dovecot.log_text(mark))

    def test_write_through_a_group_is_enough(self):
        self.assert_granted(
            self.auth("erin@example.com/helpdesk@example.com", "smtp"),
            "erin over smtp", "helpdesk@example.com")



class DovecotSubmissionTest(unittest.TestCase):
    """Dovecot's own submission service (service=submission) over real
    SMTP: a composite login is refused, the person's own login is not."""

    @classmethod
    def setUpClass(cls):
        harness.require_module()
        cls.slapd = harness.Slapd()
        cls.addClassCleanup(cls.slapd.cleanup)
        cls.port = harness.free_port()
        listen_key = harness.dialect("address", "listen")
        # the relay is never reached: AUTH is answered before it matters
        extra = ("protocols = imap pop3 submission\n"
                 "hostname = mx.fa-test.invalid\n"
                 "submission_relay_host = 127.0.0.1\n"
                 "submission_relay_port = %d\n"
                 "service submission-login {\n"
                 "  inet_listener submission {\n"
                 "    %s = 127.0.0.1\n    port = %d\n  }\n}\n"
                 % (harness.free_port(), listen_key, cls.port))
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(cls.slapd.uri),
            ldap_uri=cls.slapd.uri, auth_debug=True, extra_conf=extra)
        cls.addClassCleanup(cls.dovecot.cleanup)
        harness._wait_for(lambda: harness._listening(cls.port), 30,
                          "dovecot submission on %d" % cls.port,
                          cls.dovecot.proc, cls.dovecot._startup_log)

    def auth(self, login, password):
        conn = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
        try:
            conn.ehlo("client.fa-test.invalid")
            token = base64.b64encode(
                ("\0%s\0%s" % (login, password)).encode()).decode()
            return conn.docmd("AUTH", "PLAIN " + token)
        finally:
            conn.close()

    def test_composite_login_is_refused(self):
        mark = self.dovecot.log_size()
        code, text = self.auth("alice@example.com/info@example.com",
                               PW["alice"])
        self.assertEqual(code, 535, text)
        log = harness.wait_log(self.dovecot, mark, lambda t:
                               "smtp_functional_logins = no" in t,
                               harness.PATIENCE)
        self.assertIn("refused: submission logins as a functional account",
                      log)

    def test_own_login_is_accepted(self):
        code, text = self.auth("alice@example.com", PW["alice"])
        self.assertEqual(code, 235, text)


if __name__ == "__main__":
    unittest.main()
