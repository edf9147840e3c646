"""TLS to the directory: StartTLS and ldaps://, certificate checking, and
proof that the binds really travel encrypted. Real slapd with TLS, real
Dovecot, Dovecot's auth-client socket (harness.py).

What is shown here (README "Configuration reference": ldap_uris,
ldap_starttls, ldap_tls_ca_file, ldap_tls_ca_dir, ldap_tls_require_cert):

  TlsTest             one slapd with a throwaway CA, offering StartTLS on
                      ldap:// and listening on ldaps:// too. With the CA
                      (file or hashed directory) and require_cert demand,
                      alice/info logs in over StartTLS and over ldaps://.
                      With an unrelated CA (or none: the system trust store
                      does not know the test CA) the login fails
                      *temporarily*, never OK, and the log names the URI and
                      the StartTLS/connect failure; `try` refuses as well;
                      `never` and `allow` log in (documented insecure
                      options). ldaps:// with ldap_starttls = yes (StartTLS
                      is for ldap:// URIs) logs in.
  HostnameCheckTest   a certificate from a trusted CA but for another name
                      (fa-test.invalid) is refused when the URI says
                      127.0.0.1 (temporary failure; `allow` accepts it);
                      with a trusted server next in ldap_uris, logins fail
                      over to it (ldaps:// and StartTLS; both CAs in one
                      hashed ldap_tls_ca_dir).
  EncryptedBindTest   a slapd with `security simple_bind=128` refuses every
                      simple bind (service account and person) on a
                      plaintext connection. Without StartTLS the service
                      bind, or with anonymous searches the person's bind,
                      is refused: a temporary failure. With StartTLS or
                      ldaps:// both binds succeed, so both the search and
                      the bind connections are encrypted.

Certificates are made with the openssl CLI under each slapd's temp dir
(/tmp/fa-slapd-*/tls) and a second, unrelated CA under /tmp/fa-other-ca-*;
all of it is removed at the end (FA_KEEP_TMP=1 keeps it). Every server
listens on 127.0.0.1 only. Dovecot's auth_failure_delay is 0 here so the
failing cases do not each wait two seconds.

    cd /work/main && FA_REQUIRE_MODULE=1 \\
        /usr/bin/python3 -m unittest tests.integration.test_tls -v
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LOGIN = "alice@example.com/info@example.com"
ALICE_PW = harness.PASSWORDS["alice"]
# What a failed TLS set-up must be called in the log (with the URI).
TLS_FAILURE = re.compile(r"StartTLS|TLS|SSL|certificate|connect to",
                         re.IGNORECASE)
# After every URI failed, the plugin's pool waits this long before it
# connects again (LDAP_POOL_RECONNECT_MSECS in src/ldap-pool.c), counted
# from the failure, i.e. from before its reply: a pause this long after
# the reply is past it however slow the run.
POOL_RECONNECT_SECONDS = 1.0


def require_module():
    if not os.path.exists(harness.MODULE_PATH):
        why = ("%s is not installed (run `make install` first)"
               % harness.MODULE_PATH)
        if os.environ.get("FA_REQUIRE_MODULE"):
            raise AssertionError(why + " and FA_REQUIRE_MODULE is set")
        raise unittest.SkipTest(why + "; set FA_REQUIRE_MODULE=1 to make "
                                "this a failure")


wait_log = harness.wait_log


class _TlsCase(unittest.TestCase):
    """Helpers: a Dovecot per plugin configuration, one login, checks."""
    maxDiff = None
    slapd = None
    _dovecots = None

    @classmethod
    def start_slapd(cls, **kw):
        """A TLS slapd for the class (stopped after its Dovecots)."""
        require_module()
        if cls._dovecots is None:
            cls._dovecots = []
        slapd = harness.Slapd(tls=True, **kw)
        cls.addClassCleanup(slapd.cleanup)
        # (class cleanups run last-in first-out: Dovecots stop first)
        cls.addClassCleanup(cls._stop_dovecots)
        return slapd

    @classmethod
    def _stop_dovecots(cls):
        # each Dovecot takes about a second to stop: signal them all
        # first, then wait for each (cleanup() also removes its files)
        dovecots, cls._dovecots = cls._dovecots or [], []
        for dovecot in dovecots:
            if dovecot.running():
                dovecot.proc.send_signal(harness.signal.SIGTERM)
        for dovecot in dovecots:
            dovecot.cleanup()

    def dovecot(self, uri, **settings):
        """A Dovecot whose plugin uses `uri` and `settings` (the site's
        LDAP passdb uses the plaintext URI); stopped at the class's end."""
        dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(uri, **settings),
            ldap_uri=self.slapd.uri, extra_conf="auth_failure_delay = 0\n")
        self._dovecots.append(dovecot)
        return dovecot

    def login(self, dovecot, user=LOGIN, password=ALICE_PW, rip=None):
        """One auth-client login (claiming `rip`, if given); a dropped
        connection (auth process died) fails the test with the log's
        crash lines."""
        try:
            return harness.auth_client_login(dovecot.auth_socket, user,
                                             password, rip=rip,
                                             timeout=harness.PATIENCE)
        except (ConnectionError, OSError) as e:
            error = e
        crashes = [line for line in dovecot.log_text().splitlines()
                   if any(w in line for w in ("Panic:", "Fatal:",
                                              "killed with signal"))]
        self.fail("auth connection dropped (%s); the auth process "
                  "probably died:\n%s" % (error, "\n".join(crashes)))

    def assertLogsIn(self, uri, **settings):
        """alice/info is granted (as info, by alice) with these settings;
        returns the Dovecot."""
        dovecot = self.dovecot(uri, **settings)
        rip = harness.unique_rip()
        reply = self.login(dovecot, rip=rip)
        if not reply.ok:
            # for the message: the log once this login's own lines are in
            log = harness.wait_request_log(dovecot, 0, rip, "")
            self.fail("login over %s with %r failed: %s\nlog:\n%s"
                      % (uri, settings, reply.raw, log))
        self.assertEqual(reply.fields.get("user"), "info@example.com",
                         reply.raw)
        self.assertEqual(reply.fields.get("auth_user"), "alice@example.com",
                         reply.raw)
        return dovecot

    def assertFailsTemporarily(self, uri, log_pattern=TLS_FAILURE,
                               **settings):
        """alice/info is a temporary failure (not OK, not a plain denial)
        with these settings, twice (also once the pool retries), and an
        error line names the URI and matches log_pattern. Returns the
        error lines."""
        dovecot = self.dovecot(uri, **settings)
        for attempt in (1, 2):
            reply = self.login(dovecot)
            self.assertFalse(reply.ok, "GRANTED over %s with %r (attempt "
                             "%d): %s" % (uri, settings, attempt, reply.raw))
            self.assertTrue(reply.temp, "expected a temporary failure over "
                            "%s with %r (attempt %d), got: %s\nlog:\n%s" % (
                                uri, settings, attempt, reply.raw,
                                dovecot.log_text()))
            self.assertNotEqual(reply.fields.get("user"), "info@example.com",
                                reply.raw)
            if attempt == 1:
                # the second attempt connects afresh, not refused for the
                # pool's pause after the first failure
                time.sleep(POOL_RECONNECT_SECONDS * 1.1)
        log = wait_log(dovecot, 0, lambda text: any(
            uri in line and log_pattern.search(line)
            for line in text.splitlines()), harness.PATIENCE)
        errors = [line for line in log.splitlines()
                  if "functional" in line and
                  ("Error:" in line or "Warning:" in line)]
        self.assertTrue(any(uri in line and log_pattern.search(line)
                            for line in errors),
                        "no error line names %s and matches %r:\n%s" % (
                            uri, log_pattern.pattern, log))
        self.assertNotIn("Panic:", log)
        self.assertNotIn("Fatal:", log)
        self.assertNotIn(" granted ", log)
        return errors


@unittest.skipUnless(os.path.exists(harness.MODULE_PATH) or
                     os.environ.get("FA_REQUIRE_MODULE"),
                     "module not installed")
class TlsTest(_TlsCase):

    @classmethod
    def setUpClass(cls):
        cls.slapd = cls.start_slapd()
        # a second CA that never signed the server's certificate
        cls.other_dir = tempfile.mkdtemp(prefix="fa-other-ca-")
        os.chmod(cls.other_dir, 0o755)
        if not harness.KEEP_TMP:
            cls.addClassCleanup(shutil.rmtree, cls.other_dir, True)
        cls.other_ca, other_key = harness.make_test_ca(cls.other_dir,
                                                       "unrelated CA")
        os.remove(other_key)

    # --- the right CA ------------------------------------------------------

    def test_starttls_with_ca_file_and_demand_logs_in(self):
        self.assertLogsIn(self.slapd.uri, ldap_starttls="yes",
                          ldap_tls_ca_file=self.slapd.ca_file,
                          ldap_tls_require_cert="demand")

    def test_ldaps_with_ca_file_and_demand_logs_in(self):
        self.assertLogsIn(self.slapd.ldaps_uri,
                          ldap_tls_ca_file=self.slapd.ca_file,
                          ldap_tls_require_cert="demand")

    def test_starttls_with_hashed_ca_dir_logs_in(self):
        self.assertTrue(any(re.fullmatch(r"[0-9a-f]{8}\.0", name)
                            for name in os.listdir(self.slapd.ca_dir)),
                        os.listdir(self.slapd.ca_dir))
        self.assertLogsIn(self.slapd.uri, ldap_starttls="yes",
                          ldap_tls_ca_dir=self.slapd.ca_dir,
                          ldap_tls_require_cert="demand")

    def test_ldaps_with_hashed_ca_dir_logs_in(self):
        self.assertLogsIn(self.slapd.ldaps_uri,
                          ldap_tls_ca_dir=self.slapd.ca_dir,
                          ldap_tls_require_cert="demand")

    def test_starttls_keeps_site_ldap_passdb_working(self):
        # the plugin's per-connection TLS options must not disturb
        # Dovecot's own LDAP driver in the same auth process
        dovecot = self.assertLogsIn(self.slapd.uri, ldap_starttls="yes",
                                    ldap_tls_ca_file=self.slapd.ca_file)
        reply = self.login(dovecot, "alice@example.com", ALICE_PW)
        self.assertTrue(reply.ok, reply.raw)
        self.assertEqual(reply.fields.get("user"), "alice@example.com")

    def test_ldaps_uri_with_starttls_enabled_logs_in(self):
        # README: ldap_starttls is "StartTLS on ldap:// connections"; an
        # ldaps:// URI in the same list (already TLS) must still work
        self.assertLogsIn(self.slapd.ldaps_uri, ldap_starttls="yes",
                          ldap_tls_ca_file=self.slapd.ca_file)

    # --- an unrelated CA, or none --------------------------------------------

    def test_starttls_with_other_ca_and_demand_fails_temporarily(self):
        self.assertFailsTemporarily(self.slapd.uri, ldap_starttls="yes",
                                    ldap_tls_ca_file=self.other_ca,
                                    ldap_tls_require_cert="demand")

    def test_ldaps_with_other_ca_and_demand_fails_temporarily(self):
        self.assertFailsTemporarily(self.slapd.ldaps_uri,
                                    ldap_tls_ca_file=self.other_ca,
                                    ldap_tls_require_cert="demand")

    def test_default_require_cert_without_ca_fails_temporarily(self):
        # no ldap_tls_ca_* and no ldap_tls_require_cert: the default
        # (demand) against the system trust store, which lacks the test CA
        self.assertFailsTemporarily(self.slapd.uri, ldap_starttls="yes")

    def test_require_try_with_other_ca_fails_temporarily(self):
        # try: a certificate that is sent must verify
        self.assertFailsTemporarily(self.slapd.ldaps_uri,
                                    ldap_tls_ca_file=self.other_ca,
                                    ldap_tls_require_cert="try")

    def test_require_never_with_other_ca_logs_in_over_starttls(self):
        self.assertLogsIn(self.slapd.uri, ldap_starttls="yes",
                          ldap_tls_ca_file=self.other_ca,
                          ldap_tls_require_cert="never")

    def test_require_never_with_other_ca_logs_in_over_ldaps(self):
        self.assertLogsIn(self.slapd.ldaps_uri,
                          ldap_tls_ca_file=self.other_ca,
                          ldap_tls_require_cert="never")

    def test_require_allow_with_other_ca_logs_in(self):
        self.assertLogsIn(self.slapd.uri, ldap_starttls="yes",
                          ldap_tls_ca_file=self.other_ca,
                          ldap_tls_require_cert="allow")


@unittest.skipUnless(os.path.exists(harness.MODULE_PATH) or
                     os.environ.get("FA_REQUIRE_MODULE"),
                     "module not installed")
class HostnameCheckTest(_TlsCase):
    """The server certificate is from a trusted CA but names only
    fa-test.invalid: with demand, a URI saying 127.0.0.1 is refused; a
    list with a trusted server after it fails over to that one."""

    @classmethod
    def setUpClass(cls):
        cls.slapd = cls.start_slapd(tls_names=("fa-test.invalid",))
        cls.good = cls.start_slapd()
        # both CAs, hashed, in one directory
        cls.ca_dir = tempfile.mkdtemp(prefix="fa-both-ca-")
        os.chmod(cls.ca_dir, 0o755)
        if not harness.KEEP_TMP:
            cls.addClassCleanup(shutil.rmtree, cls.ca_dir, True)
        for i, slapd in enumerate((cls.slapd, cls.good)):
            path = os.path.join(cls.ca_dir, "ca%d.pem" % i)
            shutil.copyfile(slapd.ca_file, path)
            os.chmod(path, 0o644)
        harness.rehash_ca_dir(cls.ca_dir)

    def test_certificate_for_other_name_fails_temporarily_over_ldaps(self):
        self.assertFailsTemporarily(self.slapd.ldaps_uri,
                                    ldap_tls_ca_file=self.slapd.ca_file,
                                    ldap_tls_require_cert="demand")

    def test_certificate_for_other_name_fails_temporarily_over_starttls(self):
        self.assertFailsTemporarily(self.slapd.uri, ldap_starttls="yes",
                                    ldap_tls_ca_file=self.slapd.ca_file,
                                    ldap_tls_require_cert="demand")

    def test_certificate_for_other_name_is_accepted_with_allow(self):
        # the control: the same server and CA, only the checks relaxed
        self.assertLogsIn(self.slapd.ldaps_uri,
                          ldap_tls_ca_file=self.slapd.ca_file,
                          ldap_tls_require_cert="allow")

    def assertFailsOver(self, bad, good, **settings):
        dovecot = self.assertLogsIn("%s %s" % (bad, good),
                                    ldap_tls_ca_dir=self.ca_dir,
                                    ldap_tls_require_cert="demand",
                                    **settings)
        log = wait_log(dovecot, 0, lambda text: any(
            bad in line and TLS_FAILURE.search(line)
            for line in text.splitlines()), harness.PATIENCE)
        self.assertTrue(any(bad in line and TLS_FAILURE.search(line)
                            for line in log.splitlines()), log)

    def test_ldaps_server_failing_verification_fails_over_to_next(self):
        self.assertFailsOver(self.slapd.ldaps_uri, self.good.ldaps_uri)

    def test_starttls_server_failing_verification_fails_over_to_next(self):
        self.assertFailsOver(self.slapd.uri, self.good.uri,
                             ldap_starttls="yes")


@unittest.skipUnless(os.path.exists(harness.MODULE_PATH) or
                     os.environ.get("FA_REQUIRE_MODULE"),
                     "module not installed")
class EncryptedBindTest(_TlsCase):
    """slapd refuses simple binds below SSF 128 (`security
    simple_bind=128`), so a bind that succeeds went over TLS."""

    @classmethod
    def setUpClass(cls):
        cls.slapd = cls.start_slapd(extra_conf="security simple_bind=128")

    def whoami(self, *args):
        env = dict(os.environ, LDAPTLS_CACERT=self.slapd.ca_file,
                   LDAPTLS_REQCERT="demand")
        r = subprocess.run(["ldapwhoami", "-x", "-o", "nettimeout=2", "-D",
                            harness.SERVICE_DN, "-w",
                            harness.SERVICE_PASSWORD] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30, env=env)
        return r.returncode, r.stdout

    def test_directory_refuses_plaintext_simple_bind_only(self):
        # the premise of this class, checked with OpenLDAP's own client
        rc, out = self.whoami("-H", self.slapd.uri)
        self.assertEqual(rc, 13, out)   # confidentialityRequired
        rc, out = self.whoami("-H", self.slapd.uri, "-ZZ")
        self.assertEqual(rc, 0, out)
        rc, out = self.whoami("-H", self.slapd.ldaps_uri)
        self.assertEqual(rc, 0, out)

    def test_service_bind_without_starttls_fails_temporarily(self):
        errors = self.assertFailsTemporarily(
            self.slapd.uri, log_pattern=re.compile(
                r"service bind.*confidentiality", re.IGNORECASE))
        self.assertTrue(any(harness.SERVICE_DN in line for line in errors),
                        errors)

    def test_person_bind_without_starttls_fails_temporarily(self):
        # anonymous searches work in plaintext; alice's bind is refused
        # for want of confidentiality: the directory's trouble, not a
        # wrong password
        dovecot = self.dovecot(self.slapd.uri, ldap_bind_dn="",
                               ldap_bind_password="")
        reply = self.login(dovecot)
        self.assertFalse(reply.ok, "GRANTED: %s" % reply.raw)
        self.assertTrue(reply.temp, "expected a temporary failure, got: "
                        "%s\nlog:\n%s" % (reply.raw, dovecot.log_text()))
        log = wait_log(dovecot, 0, lambda text: "onfidentiality required"
                       in text, harness.PATIENCE)
        self.assertIn("onfidentiality required", log)

    def test_starttls_service_and_person_binds_are_encrypted(self):
        # service bind on the search connections, alice's bind on a bind
        # connection: both refused by slapd unless encrypted
        self.assertLogsIn(self.slapd.uri, ldap_starttls="yes",
                          ldap_tls_ca_file=self.slapd.ca_file,
                          ldap_tls_require_cert="demand")

    def test_starttls_person_bind_is_encrypted_with_anonymous_searches(self):
        self.assertLogsIn(self.slapd.uri, ldap_starttls="yes",
                          ldap_tls_ca_file=self.slapd.ca_file,
                          ldap_bind_dn="", ldap_bind_password="")

    def test_ldaps_service_and_person_binds_are_encrypted(self):
        self.assertLogsIn(self.slapd.ldaps_uri,
                          ldap_tls_ca_file=self.slapd.ca_file,
                          ldap_tls_require_cert="demand")


if __name__ == "__main__":
    unittest.main()
