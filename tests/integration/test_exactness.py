"""Regression tests for the defects of issue 10 ("exact authorization on
real sites"): each class tells one story a real UCS/OX directory or site
config had and the plugin once got wrong. Run against the code before the
fix (commit 4da8d82), 16 of these 19 tests fail; the other three are the
control of a pair (CacheHistoryTest: one order was right, the other
wrong; SizeLimitTest: complete answers still decide) and the base-scope
disabled check, whose subtree search could not be told apart then.

Real slapd with a small directory of its own (written here, not the
shared fixture), real Dovecot including dovecot-example.conf with the
installed module, Dovecot's auth-client socket and doveadm as clients.
The granted right of a login is read from its audit line
("... acts as ...: granted by <rule> (right <right>, ...)").

  CacheHistoryTest      the answer does not depend on earlier logins
  AclSpellingTest       univentionMailACL values as UCS reads them
  DirectoryShapeTest    option-tagged attributes, many groups, DNs that
                        differ only in non-ASCII case, disabled check
                        in base scope
  SizeLimitTest         a service account with sizelimit 1
  MissingBaseTest       a configured base that does not exist
  HiddenGroupNameTest   group entries without group_name_attribute
  UserdbOnlyTest        LMTP / doveadm user get mailbox fields only
  ModuleSymbolsTest     the module exports only its entry points

Run: FA_REQUIRE_MODULE=1 /usr/bin/python3 -m unittest \\
         tests.integration.test_exactness -v
"""

import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BASE = harness.BASE_DN
USERS = "cn=users," + BASE
GROUPS = "cn=groups," + BASE
OX = "cn=functional_accounts,cn=open-xchange," + BASE
MAIL = "cn=mail," + BASE
DISABLED_FILTER = "(univentionObjectFlag=disabled)"


# --- a directory of our own -------------------------------------------------

def _entry(dn, *lines):
    return "dn: %s\n%s\n\n" % (dn, "\n".join(lines))


def person(uid, *extra, mail=None, cn=None):
    """A UCS person; password <uid>-secret."""
    mail = mail or uid + "@example.com"
    return _entry("uid=%s,%s" % (uid, USERS) if cn is None else
                  "cn=%s,%s" % (cn, USERS),
                  "objectClass: inetOrgPerson", "objectClass: posixAccount",
                  "objectClass: shadowAccount", "objectClass: univentionMail",
                  "cn: %s" % (cn or uid), "sn: %s" % uid, "uid: %s" % uid,
                  "uidNumber: %d" % (2000 + sum(map(ord, uid))),
                  "gidNumber: 100", "homeDirectory: /home/" + uid,
                  "mailPrimaryAddress: " + mail,
                  "userPassword: %s-secret" % uid, *extra)


def group(cn, members=(), member_uids=(), *extra, name_attr=True):
    lines = ["objectClass: posixGroup", "objectClass: extensibleObject",
             "gidNumber: %d" % (5000 + sum(map(ord, cn)))]
    if name_attr:
        lines.insert(0, "cn: " + cn)
    lines += ["uniqueMember: " + m for m in members]
    lines += ["memberUid: " + u for u in member_uids]
    return _entry("cn=%s,%s" % (cn, GROUPS), *lines, *extra)


def ox_account(name, members):
    return _entry("cn=%s,%s" % (name, OX), "objectClass: oxFunctionalAccount",
                  "cn: " + name, "mailPrimaryAddress: %s@example.com" % name,
                  *["uniqueMember: " + m for m in members])


def shared_folder(name, acls):
    return _entry("cn=%s@example.com,%s" % (name, MAIL),
                  "objectClass: univentionMailSharedFolder",
                  "cn: %s@example.com" % name,
                  "mailPrimaryAddress: %s@example.com" % name,
                  *["univentionMailACL: " + a for a in acls])


def user_dn(uid):
    return "uid=%s,%s" % (uid, USERS)


def group_dn(cn):
    return "cn=%s,%s" % (cn, GROUPS)


def skeleton():
    out = _entry(BASE, "objectClass: dcObject", "objectClass: organization",
                 "dc: example", "o: Example Ltd")
    for cn in ("users", "groups", "mail", "open-xchange"):
        out += _entry("cn=%s,%s" % (cn, BASE),
                      "objectClass: organizationalRole", "cn: " + cn)
    out += _entry(OX, "objectClass: organizationalRole",
                  "cn: functional_accounts")
    out += _entry(harness.SERVICE_DN, "objectClass: organizationalRole",
                  "objectClass: simpleSecurityObject", "cn: dovecot",
                  "userPassword: " + harness.SERVICE_PASSWORD)
    return out


def password(login):
    """<uid>-secret of the person in a login such as alice/info@..."""
    person_part = re.split(r"[/*]", login)[0]
    return person_part.split("@")[0].lower() + "-secret"


# --- one slapd and one Dovecot a class ---------------------------------------

_rips = itertools.count(1)


class _ExactCase(unittest.TestCase):
    """slapd with cls.ldif() and a Dovecot with cls.plugin_settings."""
    maxDiff = None
    plugin_settings = {}
    slapd_conf = ""
    dovecot_conf = ""

    @classmethod
    def ldif(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(harness.MODULE_PATH):
            raise AssertionError(harness.MODULE_PATH + " is not installed")
        fd, path = tempfile.mkstemp(prefix="fa-exact-", suffix=".ldif")
        with os.fdopen(fd, "w") as f:
            f.write(skeleton() + cls.ldif())
        cls.addClassCleanup(os.remove, path)
        cls.slapd = harness.Slapd(ldif=path, extra_conf=cls.slapd_conf)
        cls.addClassCleanup(cls.slapd.cleanup)
        settings = dict(person_disabled_filter=DISABLED_FILTER)
        settings.update(cls.plugin_settings)
        cls.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(
                cls.slapd.uri, **settings),
            ldap_uri=cls.slapd.uri, auth_debug=True,
            extra_conf=cls.dovecot_conf)
        cls.addClassCleanup(cls.dovecot.cleanup)

    def decide(self, *logins):
        """Each login (a string, or (person, authzid) for SASL) through the
        auth-client socket: ("granted", right) | ("denied",) |
        ("tempfail",), in order, all pipelined."""
        requests, rips = [], []
        for login in logins:
            rip = "198.51.%d.%d" % divmod(next(_rips) % 65000, 250)
            rips.append(rip)
            if isinstance(login, tuple):
                requests.append(dict(user=login[0], authzid=login[1],
                                     password=password(login[0]), rip=rip))
            else:
                requests.append(dict(user=login, password=password(login),
                                     rip=rip))
        mark = self.dovecot.log_size()
        try:
            replies = harness.auth_client_many(self.dovecot.auth_socket,
                                               requests)
        except ConnectionError as e:
            self.fail("the auth process dropped the connection (%s):\n%s"
                      % (e, self.dovecot.log_text()[-4000:]))
        granted = [rip for rip, r in zip(rips, replies) if r.ok]
        log = harness.wait_log(self.dovecot, mark, lambda t: all(
            "rip=%s)" % rip in t for rip in granted))
        out = []
        for login, rip, reply in zip(logins, rips, replies):
            if reply.ok:
                m = re.search(r"acts as .*\(right (\w+), service=\w+, "
                              r"rip=%s\)" % re.escape(rip), log)
                self.assertTrue(m, "no audit line for %r:\n%s" % (login, log))
                out.append(("granted", m.group(1)))
            else:
                out.append(("tempfail",) if reply.temp else ("denied",))
        return out

    def assertDecisions(self, expected):
        """expected: {login: outcome}; all sent in one pipeline."""
        logins = list(expected)
        got = dict(zip(logins, self.decide(*logins)))
        self.assertEqual(got, expected, self.dovecot.log_text()[-6000:])

    def assertNoCrash(self):
        log = self.dovecot.log_text()
        for word in ("Panic:", "Fatal:", "killed with signal"):
            self.assertNotIn(word, log)


# --- the stories -------------------------------------------------------------

class CacheHistoryTest(_ExactCase):
    """Groups were cached per person, but filled with nested groups only
    when an OX account (a member list) asked: a shared folder naming the
    parent group answered differently after an OX login. nina and nora
    are in sub, which is in top; the folder grants top read, the OX
    account lists top. Lookup cache on (60 s)."""
    plugin_settings = dict(lookup_cache_ttl=60)

    @classmethod
    def ldif(cls):
        return (person("nina") + person("nora") +
                group("sub", [user_dn("nina"), user_dn("nora")]) +
                group("top", [group_dn("sub")]) +
                ox_account("crew", [group_dn("top")]) +
                shared_folder("board", ["top read"]))

    def test_folder_first_then_ox(self):
        self.assertEqual(self.decide("nina/board@example.com"),
                         [("granted", "read")])
        self.assertEqual(self.decide("nina/crew@example.com",
                                     "nina/board@example.com"),
                         [("granted", "all"), ("granted", "read")])

    def test_ox_first_then_folder(self):
        self.assertEqual(self.decide("nora/crew@example.com"),
                         [("granted", "all")])
        self.assertEqual(self.decide("nora/board@example.com",
                                     "nora/crew@example.com"),
                         [("granted", "read"), ("granted", "all")])


class AclSpellingTest(_ExactCase):
    """univentionMailACL as UCS's listener reads it: split on any white
    space, rights in any case, '@' names a person, anyone/authenticated
    everyone, anything else a group (never a uid)."""

    @classmethod
    def ldif(cls):
        staff = ["rta", "rtb", "rtc", "rtd", "rte", "rtf", "rtg", "carl",
                 "uma", "ulf"]
        return ("".join(person(u) for u in staff) +
                person("otto") +
                group("staff", member_uids=staff) +
                group("carl", member_uids=["ulf"]) +
                group("Domain  Users", member_uids=["uma"]) +
                shared_folder("spelling", [
                    "staff read",
                    "rta@example.com none ",
                    "rtb@example.com\tnone",
                    " rtc@example.com none",
                    "rtd@example.com NONE",
                    "RTE@Example.COM   none",
                    "rtf@example.com nothing",
                    "rtg@example.com",
                    "carl write",
                    "domain users WRITE",
                ]) +
                shared_folder("open", ["anyone read"]) +
                shared_folder("members", ["authenticated Append"]))

    def test_explicit_deny_in_any_spelling_denies(self):
        self.assertDecisions({
            "rta/spelling@example.com": ("denied",),
            "rtb/spelling@example.com": ("denied",),
            "rtc/spelling@example.com": ("denied",),
            "rtd/spelling@example.com": ("denied",),
            "rte/spelling@example.com": ("denied",),
        })

    def test_unparsable_value_naming_the_person_denies(self):
        self.assertDecisions({
            "rtf/spelling@example.com": ("denied",),
            "rtg/spelling@example.com": ("denied",),
        })

    def test_group_named_like_a_uid_is_a_group(self):
        # "carl write" names the group carl (ulf), not the person carl
        self.assertDecisions({
            "carl/spelling@example.com": ("granted", "read"),
            "ulf/spelling@example.com": ("granted", "write"),
        })

    def test_group_names_compare_like_ldap(self):
        # "domain users WRITE" against cn "Domain  Users"
        self.assertDecisions({
            "uma/spelling@example.com": ("granted", "write"),
        })

    def test_anyone_and_authenticated_mean_everyone(self):
        self.assertDecisions({
            "otto/open@example.com": ("granted", "read"),
            "otto/members@example.com": ("granted", "append"),
            "otto/spelling@example.com": ("denied",),
        })


class DirectoryShapeTest(_ExactCase):
    """Entries as real directories write them."""

    @classmethod
    def ldif(cls):
        many = ["g%02d" % i for i in range(70)]
        return (person("tag", "uid;lang-de: tag-de", "uid;lang-fr: tag-fr",
                       "shadowExpire: 1") +
                person("tagok", "uid;lang-de: tagok-de",
                       "uid;lang-fr: tagok-fr") +
                person("joerg", cn="Jörg Müller") +
                person("parent") +
                _entry("cn=child,uid=parent," + USERS,
                       "objectClass: organizationalRole",
                       "objectClass: univentionMail", "cn: child",
                       "univentionObjectFlag: disabled") +
                person("busy") +
                "".join(group(g, member_uids=["busy"]) for g in many) +
                shared_folder("tagged", ["tag@example.com all",
                                         "tagok@example.com all"]) +
                ox_account("umlaut", ["cn=JÖRG MÜLLER," + USERS]) +
                shared_folder("family", ["parent@example.com write"]) +
                shared_folder("last", ["g69 append"]))

    def test_option_tagged_values_do_not_push_out_expiry(self):
        self.assertDecisions({
            "tag/tagged@example.com": ("denied",),
            "tagok/tagged@example.com": ("granted", "all"),
        })

    def test_member_dn_differing_in_non_ascii_case_counts(self):
        self.assertDecisions({"joerg/umlaut@example.com": ("granted", "all")})

    def test_disabled_filter_checks_only_the_person_entry(self):
        self.assertDecisions({"parent/family@example.com":
                              ("granted", "write")})

    def test_more_than_64_groups_are_all_seen(self):
        self.assertDecisions({"busy/last@example.com": ("granted", "append")})


class SizeLimitTest(_ExactCase):
    """sizelimit 1 for everyone but the rootdn: answers the directory cut
    short are temporary failures, never one entry taken as the only one."""
    slapd_conf = "sizelimit 1"

    @classmethod
    def ldif(cls):
        return (person("twin", mail="twin@example.com") +
                _entry("uid=twin2," + USERS, "objectClass: inetOrgPerson",
                       "objectClass: univentionMail", "cn: twin2", "sn: t",
                       "uid: twin2", "mailPrimaryAddress: twin@example.com",
                       "userPassword: twin-secret") +
                person("solo") +
                group("aa", member_uids=["solo"]) +
                group("zz", member_uids=["solo"]) +
                shared_folder("one", ["zz write", "aa read"]) +
                shared_folder("plain", ["solo@example.com read"]))

    def test_ambiguous_person_is_not_taken_for_one(self):
        got = self.decide("twin@example.com/plain@example.com")
        self.assertEqual(got, [("tempfail",)], self.dovecot.log_text()[-3000:])
        self.assertIn("size limit", self.dovecot.log_text())

    def test_group_list_cut_short_fails_temporarily(self):
        self.assertEqual(self.decide("solo/one@example.com"), [("tempfail",)])

    def test_complete_answers_still_decide(self):
        self.assertEqual(self.decide("solo/plain@example.com"),
                         [("granted", "read")])


class MissingBaseTest(_ExactCase):
    """A person_base that does not exist is a configuration error of the
    directory side, not "no such person"."""
    plugin_settings = dict(person_base="cn=nowhere," + BASE)

    @classmethod
    def ldif(cls):
        return person("pia") + shared_folder("any", ["pia@example.com read"])

    def test_missing_base_fails_temporarily(self):
        self.assertEqual(self.decide("pia/any@example.com"), [("tempfail",)])
        self.assertIn("does not exist", self.dovecot.log_text())


class HiddenGroupNameTest(_ExactCase):
    """group_name_attribute = description, which no group has (as when a
    slapd ACL hides cn): the auth process once crashed on the NULL name."""
    plugin_settings = dict(group_name_attribute="description")

    @classmethod
    def ldif(cls):
        return (person("hal") +
                group("ops", member_uids=["hal"]) +
                shared_folder("ops", ["ops read"]) +
                shared_folder("named", ["hal@example.com write", "ops all"]) +
                ox_account("opsbox", [group_dn("ops")]))

    def test_unknown_group_names_fail_temporarily_without_crashing(self):
        self.assertDecisions({
            "hal/ops@example.com": ("tempfail",),
            # a value naming the person decides alone: names not needed
            "hal/named@example.com": ("granted", "write"),
            # member lists compare DNs: names not needed
            "hal/opsbox@example.com": ("granted", "all"),
        })
        self.assertNoCrash()


class UserdbOnlyTest(_ExactCase):
    """doveadm user and LMTP deliveries run the userdb only: the account
    itself, no person, so no session ACL fields and no mail_plugins."""
    plugin_settings = dict(plain_logins="yes")

    @classmethod
    def ldif(cls):
        return (person("una") +
                _entry("cn=team,%s" % OX, "objectClass: oxFunctionalAccount",
                       "cn: team", "mailPrimaryAddress: team@example.com",
                       "oxQuota: 300", "uniqueMember: " + user_dn("una")))

    def test_userdb_lookup_gets_mailbox_fields_only(self):
        rc, out = harness.doveadm_user(self.dovecot.conf_path,
                                       "team@example.com")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"\bhome\s")
        # 2.3: quota_rule *:storage=300M; 2.4: quota_storage_size 300M
        self.assertRegex(out, harness.dialect(
            r"(?m)^\s*quota_rule\s*[=\t]\s*\*:storage=300M\s*$",
            r"(?m)^\s*quota_storage_size\s*[=\t]\s*300M\s*$"))
        # (2.4 spells the ACL as acl_driver/acl_global_path, the ACL user
        # as acl_user and plugins as mail_plugins/<name>)
        for field in ("acl", "acl_groups", "functional_acl_groups",
                      "acl_user", "acl_driver", "acl_global_path",
                      "mail_plugins", "master_user"):
            self.assertNotRegex(out, r"(?m)^\s*%s[\s/=]" % field, out)

    def test_explain_plain_login_names_no_rule(self):
        tool = "/usr/local/bin/functional-auth-explain"
        r = subprocess.run([tool, "-c", self.dovecot.plugin_conf_path,
                            "una"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        self.assertNotIn("(null)", r.stdout)
        self.assertIn("GRANTED", r.stdout)


class ModuleSymbolsTest(unittest.TestCase):
    """Only Dovecot's entry points leave the module: the core's ldap_*
    and fa_* names must not clash with libldap's or Dovecot's."""

    def test_module_exports_only_its_entry_points(self):
        r = subprocess.run(["nm", "-D", "--defined-only",
                            harness.MODULE_PATH],
                           stdout=subprocess.PIPE, text=True, check=True)
        names = {line.split()[-1] for line in r.stdout.splitlines()
                 if line.split() and line.split()[-2] in "TDBRV"}
        self.assertEqual(names - {"_init", "_fini"},
                         {"authdb_functional_init", "authdb_functional_deinit",
                          "authdb_functional_version"})


if __name__ == "__main__":
    unittest.main()
