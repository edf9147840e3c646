"""Shrink a model/plugin mismatch to a minimal directory.

    cd tests/integration && /usr/bin/python3 -m model.repro SEED FORM PERSON TARGET [PASSWORD] [--full]
    cd tests/integration && /usr/bin/python3 -m model.repro --crash SEED ROUND

FORM is slash, star or sasl; PASSWORD defaults to the person's. The tool
generates the seed's directory, keeps only the entries that can matter
(the people and targets the login names, the person's groups at every
level, containers; --full: everything), loads that into a fresh slapd
with one Dovecot (no caches, auth_failure_delay 0, test_model.py's
plugin settings, min_right read) and checks that model and plugin still
disagree. Then it deletes leaf entries, then attribute values, one at a
time with ldapmodify (in place; nothing caches), keeping a deletion when
the disagreement stays the same (an auth crash counts as an answer and
must happen twice), checks the result on a fresh slapd and prints the
remaining entries as LDIF with both answers.

--crash replays round ROUND of the seed's logins on a cold Dovecot and
shrinks the batch to the logins that make the auth process die.

Also importable: shrink(entries, login, hidden_base, settings),
find_crash(seed, round).
"""

import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from model import authclient, gendir, refmodel  # noqa: E402
from model.ldapdata import (Entry, base_name, dn_key, ldif_line,  # noqa
                            write_ldif)

# attributes slapd's schema needs (or the RDN): never deleted
KEEP = {"objectclass", "gidnumber", "sn", "homedirectory", "uidnumber",
        "userpassword", "dc", "o"}


def _test_module():
    import test_model
    return test_model


def relevant(gen, login):
    """Entries that can matter for the login (full, not visible views)."""
    directory = refmodel.Directory(gen.entries)
    keys = set()
    for p in directory.find_people(login.person):
        keys.add(dn_key(p.dn))
        keys |= {dn_key(g.dn) for _, g in directory.groups_of(p, 10)}
    keys |= {dn_key(t.dn) for t in directory.find_targets(login.target)}
    keep = [e for e in gen.entries if dn_key(e.dn) in keys]
    parents = {dn_key(e.dn)[i:] for e in keep
               for i in range(1, len(dn_key(e.dn)))}
    return [e for e in gen.entries
            if dn_key(e.dn) in parents or dn_key(e.dn) in keys or
            e.dn == gendir.SERVICE_DN]


class Bench:
    """One slapd and one cold Dovecot for trying a login repeatedly."""

    def __init__(self, entries, hidden_base, settings):
        tm = _test_module()
        self.tmp = tempfile.mkdtemp(prefix="fa-repro-")
        ldif = os.path.join(self.tmp, "directory.ldif")
        write_ldif(entries, ldif)
        self.slapd = authclient.ModelSlapd(hidden_base, ldif=ldif)
        cfg = tm.Config("repro", 0, False, settings.min_right)
        self.dovecot = harness.Dovecot(
            plugin_conf_text=harness.fixture_plugin_conf(
                self.slapd.uri, **tm.plugin_settings(cfg)),
            ldap_uri=self.slapd.uri, auth_debug=False,
            extra_conf="auth_failure_delay = 0\n")

    def ask(self, login):
        """(observed class, Result); ("crash", None) if auth died."""
        tm = _test_module()
        try:
            result = authclient.run_logins(self.dovecot,
                                           [tm.request(login)])[0]
        except (ConnectionError, OSError):
            self.wait_auth()
            return "crash", None
        return tm.observed_class(result), result

    def wait_auth(self, timeout=30):
        """Until a new auth process answers (the master restarts it,
        throttling after repeated crashes)."""
        probe = dict(user="probe/probe@example.com", password="x")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                authclient.run_logins(self.dovecot, [probe], timeout=10)
                return
            except (ConnectionError, OSError):
                pass
        raise RuntimeError("auth did not come back")

    def replace(self, dn, attr, values):
        lines = "".join(_value_line(attr, v) + "\n" for v in values)
        return self._modify("dn: %s\nchangetype: modify\nreplace: %s\n%s"
                            % (dn, attr, lines))

    def _modify(self, ldif):
        rc, _ = self.slapd.ldapmodify(ldif)
        return rc == 0

    def close(self):
        try:
            self.dovecot.cleanup()
            self.slapd.cleanup()
        finally:
            if not harness.KEEP_TMP:
                shutil.rmtree(self.tmp, ignore_errors=True)


def _value_line(attr, value):
    return ldif_line(attr, value)


def _answers(entries, login, settings):
    return refmodel.decide(refmodel.Directory(entries), login.person,
                           login.target, login.password, settings)


def shrink(entries, login, hidden_base, settings, log=print):
    """(entries, model outcome, plugin class, plugin result) after
    deleting every value whose deletion keeps the same disagreement;
    None if the mismatch does not show on the reduced directory."""
    tm = _test_module()
    bench = Bench(entries, hidden_base, settings)
    try:
        want = tm.expected_class(_answers(entries, login, settings))
        got, _ = bench.ask(login)
        if got == want:
            log("no mismatch on the reduced directory: both %s" % want)
            return None
        signature = (want, got)
        entries = [Entry(e.dn, e.attrs, e.hidden) for e in entries]
        entries = _drop_entries(bench, entries, login, settings, signature)
        log("%d entries left; now values" % len(entries))
        for e in entries:
            _shrink_values(bench, entries, e, login, settings, signature)
    finally:
        bench.close()
    # check the result on a fresh server
    final_model = _answers(entries, login, settings)
    fresh = Bench(entries, hidden_base, settings)
    try:
        got, result = fresh.ask(login)
    finally:
        fresh.close()
    return entries, final_model, got, result


def _shrink_values(bench, entries, e, login, settings, signature):
    """Drop values of e one at a time; each trial replaces the whole
    attribute with the remaining values in their order (slapd keeps it:
    the answer may depend on the order)."""
    tm = _test_module()
    for desc, value in list(e.attrs):
        if base_name(desc) in KEEP or _is_rdn(e, desc, value):
            continue
        rest = [v for d, v in e.attrs if d == desc and v != value]
        trial_attrs = [a for a in e.attrs if a != (desc, value)]
        trial = [x if x is not e else Entry(e.dn, trial_attrs, e.hidden)
                 for x in entries]
        model = tm.expected_class(_answers(trial, login, settings))
        if model != signature[0] or not bench.replace(e.dn, desc, rest):
            continue
        got, _ = bench.ask(login)
        if got == "crash" == signature[1]:
            got, _ = bench.ask(login)   # confirm
        if (model, got) == signature:
            e.attrs.remove((desc, value))
        else:
            bench.replace(e.dn, desc,
                          [v for d, v in e.attrs if d == desc])


def _leaf(entry, entries):
    key = dn_key(entry.dn)
    return not any(dn_key(x.dn)[1:] == key for x in entries)


def _drop_entries(bench, entries, login, settings, signature):
    """Delete whole leaf entries (last first) while the mismatch stays."""
    tm = _test_module()
    for e in list(reversed(entries)):
        if (e.has_class("organizationalRole") or e.has_class("dcObject") or
                not _leaf(e, entries)):
            continue
        trial = [x for x in entries if x is not e]
        model = tm.expected_class(_answers(trial, login, settings))
        if model != signature[0]:
            continue
        if not bench._modify("dn: %s\nchangetype: delete\n" % e.dn):
            continue
        got = bench.ask(login)[0]
        if got == "crash" == signature[1]:
            got = bench.ask(login)[0]   # confirm
        if (model, got) == signature:
            entries = trial
        else:
            bench._modify(_add_ldif(e))
    return entries


def _add_ldif(entry):
    lines = entry.ldif().splitlines()
    return "\n".join(lines[:1] + ["changetype: add"] + lines[1:]) + "\n"


def _is_rdn(entry, desc, value):
    rdn = dn_key(entry.dn)[0]
    return any(base_name(desc) == a and dn_key("x=" + value)[0][0][1] == v
               for a, v in rdn)


def _crashes(bench, batch):
    """Does this batch kill the auth process? (Then wait for the master
    to start a new one.)"""
    tm = _test_module()
    for _ in range(2):   # a crash must happen twice to count
        try:
            authclient.run_logins(bench.dovecot,
                                  [tm.request(x) for x in batch])
            return False
        except (ConnectionError, OSError):
            bench.wait_auth()
    return True


def find_crash(seed, round_no, log=print):
    """The smallest sub-batch of the seed's round that crashes auth."""
    tm = _test_module()
    gen = gendir.generate(seed)
    directory = refmodel.Directory(gen.entries)
    settings = refmodel.Settings("read", tm.DEPTH)
    n = int(os.environ.get("FA_MODEL_LOGINS", tm.DEFAULT_LOGINS))
    rounds = gendir.login_rounds(gen, seed, n, tm.ROUNDS, lambda p, t, pw:
                                 refmodel.decide(directory, p, t, pw,
                                                 settings))
    batch = rounds[round_no - 1]
    bench = Bench(gen.entries, gen.hidden_base, settings)
    try:
        if not _crashes(bench, batch):
            log("round %d alone does not crash a fresh auth process"
                % round_no)
            return None
        chunk = len(batch) // 2
        while chunk >= 1:
            i = 0
            while i < len(batch):
                trial = batch[:i] + batch[i + chunk:]
                if trial and _crashes(bench, trial):
                    batch = trial
                else:
                    i += chunk
            chunk //= 2
        for x in batch:
            log("crashing login: %r  (%s)" % (tm.request(x), x.note or
                                               "fresh"))
            log("  model: %s" % (refmodel.decide(
                directory, x.person, x.target, x.password, settings),))
        log(tm.crash_lines(bench.dovecot))
        return batch
    finally:
        bench.close()


def main(argv):
    if argv[1:2] == ["--crash"]:
        return 0 if find_crash(int(argv[2]), int(argv[3])) else 1
    argv = [a for a in argv if a != "--full"] + (
        ["--full"] if "--full" in argv else [])
    seed, form, person, target = int(argv[1]), argv[2], argv[3], argv[4]
    gen = gendir.generate(seed)
    directory = refmodel.Directory(gen.entries)
    people = directory.find_people(person)
    password = argv[5] if len(argv) > 5 and argv[5] != "--full" else (
        directory.password(people[0]) if people else "x")
    login = gendir.Login(form, person, target, password, "repro")
    settings = refmodel.Settings("read", _test_module().DEPTH)
    entries = gen.entries if "--full" in argv else relevant(gen, login)
    out = shrink(entries, login, gen.hidden_base, settings)
    if out is None:
        return 1
    entries, model, got, result = out
    print("login %r (form %s)\nmodel:  %s\nplugin: %s\n  %s" % (
        _test_module().request(login), form, model, got,
        result.reply.raw.strip() if result else "(auth process died)"))
    print("model trace:\n  " + "\n  ".join(model.trace))
    print("\n# minimal directory (containers omitted)")
    for e in entries:
        if e.has_class("organizationalRole") or e.has_class("dcObject"):
            continue
        print(e.ldif())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
