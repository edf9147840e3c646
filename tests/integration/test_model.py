"""The plugin against the reference model, on generated directories.

For each seed: gendir.generate(seed) makes a random UCS/OX directory
(model/gendir.py), one real slapd serves it (cn of the "nameless" groups
hidden by an ACL), and four real Dovecots with the installed plugin ask it:

    cold          lookup_cache_ttl = 0,  Dovecot auth cache off
    lookup-cache  lookup_cache_ttl = 60, auth cache off
    auth-cache    lookup_cache_ttl = 0,  auth_cache_size/ttl/negative_ttl on
    both-caches   both on, and min_right varying with the seed

They all get the same rounds of pipelined logins (model/gendir.py:
login_rounds; P/T, P*T, SASL authzid; wrong and empty passwords, unknown
people and targets, repeats within the cache TTLs, people moving between
accounts), sent like a login process does (model/authclient.py: AUTH over
auth-login with no-penalty, then the master REQUEST that runs the userdb).
Every answer must be the model's (model/refmodel.py): granted or not,
temporary failure or not, and for grants the right, read from the userdb
field (functional_)acl_groups=functional-<right>; a grant must also name the target's
mailbox as user and the person as auth_user/master_user (on Dovecot 2.4 also
as acl_user). On a mismatch the
failure message has the seed, the config, the login, model and plugin
answers (with the model's reasoning and the plugin's log lines) and the
directory entries involved.

    FA_REQUIRE_MODULE=1 /usr/bin/python3 -m unittest tests.integration.test_model -v
    FA_MODEL_SEED=<n>      only seed n
    FA_MODEL_SEEDS=<count> count seeds (the fixed ones first)
    FA_MODEL_LOGINS=<n>    logins per seed and config (default 300)
    FA_MODEL_REASONS=1     also check that each refusal the plugin logs is
                           of the model's kind (denied / bad password)
    FA_VALGRIND=1          the auth process under valgrind: two seeds, fewer
                           logins (FA_MODEL_SEEDS/LOGINS still apply)

Shrink one mismatch to a minimal directory (or a crash to its logins):

    cd tests/integration && /usr/bin/python3 -m model.repro SEED FORM PERSON TARGET
    cd tests/integration && /usr/bin/python3 -m model.repro --crash SEED ROUND
"""

import hashlib
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest
import zlib
from collections import Counter, defaultdict, namedtuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from model import authclient, gendir, refmodel  # noqa: E402
from model.ldapdata import dn_key  # noqa: E402

FIXED_SEEDS = (101, 202, 303, 404, 505, 606)
VALGRIND = harness.VALGRIND
ROUNDS = 3 if VALGRIND else 5
DEFAULT_LOGINS = 80 if VALGRIND else 300
TIMEOUT = 600 if VALGRIND else 60
CACHE_TTL = 300          # longer than a seed's run: every repeat may hit
MAX_EXAMPLES = 3         # full reports per class of mismatch
REASONS = bool(os.environ.get("FA_MODEL_REASONS"))

PERSON_FILTER = ("(&(objectClass=univentionMail)"
                 "(|(uid=%u)(mailPrimaryAddress=%u)))")
GROUP_FILTER = ("(&(objectClass=posixGroup)"
                "(|(uniqueMember=%{dn})(memberUid=%{uid})))")
DISABLED_FILTER = "(univentionObjectFlag=disabled)"
DEPTH = 3

Config = namedtuple("Config", "name lookup_ttl auth_cache min_right")


def configs(seed):
    varied = ("read", "post", "append", "write", "all")[seed % 5]
    return [Config("cold", 0, False, "read"),
            Config("lookup-cache", 60, False, "read"),
            Config("auth-cache", 0, True, "read"),
            Config("both-caches", 60, True, varied)]


def seeds():
    if os.environ.get("FA_MODEL_SEED"):
        return [int(os.environ["FA_MODEL_SEED"])]
    count = int(os.environ.get("FA_MODEL_SEEDS", 2 if VALGRIND else
                               len(FIXED_SEEDS)))
    extra = range(1000, 1000 + max(0, count - len(FIXED_SEEDS)))
    return list(FIXED_SEEDS[:count]) + list(extra)


def plugin_settings(cfg):
    return dict(person_filter=PERSON_FILTER,
                person_disabled_filter=DISABLED_FILTER,
                person_expire_attribute="shadowExpire",
                member_attribute="uniqueMember",
                acl_attribute="univentionMailACL",
                group_filter=GROUP_FILTER, group_name_attribute="cn",
                group_nesting_depth=str(DEPTH), min_right=cfg.min_right,
                lookup_cache_ttl=str(cfg.lookup_ttl))


def extra_conf(cfg):
    if not cfg.auth_cache:
        return ""
    return ("auth_cache_size = 10M\nauth_cache_ttl = %d s\n"
            "auth_cache_negative_ttl = %d s\n" % (CACHE_TTL, CACHE_TTL))


def describe(cfg):
    return "%s (lookup_cache_ttl=%d, auth cache %s, min_right=%s)" % (
        cfg.name, cfg.lookup_ttl, "on" if cfg.auth_cache else "off",
        cfg.min_right)


def require_module():
    if not os.path.exists(harness.MODULE_PATH):
        why = "%s is not installed (./scripts/build.sh)" % harness.MODULE_PATH
        if os.environ.get("FA_REQUIRE_MODULE"):
            raise AssertionError(why + " and FA_REQUIRE_MODULE is set")
        raise unittest.SkipTest(why)


# --- logins as requests, answers as classes ----------------------------------

def rip_of(login):
    """One client IP per distinct login (so its log lines can be found,
    and repeats look like the same client)."""
    h = zlib.crc32(repr(login[:4]).encode())
    return "10.%d.%d.%d" % (h >> 16 & 255, h >> 8 & 255, (h & 255) | 1)


def request(login):
    req = dict(password=login.password, rip=rip_of(login))
    if login.form == "sasl":
        req.update(user=login.person, authzid=login.target)
    else:
        sep = "/" if login.form == "slash" else "*"
        req.update(user=login.person + sep + login.target)
    return req


def expected_class(outcome):
    if outcome.kind == "granted":
        return "granted " + outcome.detail
    if outcome.kind == "tempfail":
        return "tempfail"
    return "refused"


def observed_class(result):
    if result.reply.ok:
        right = authclient.granted_right(result)
        return "granted " + (right or "? (no right in the userdb reply)")
    return "tempfail" if result.reply.temp else "refused"


def identity_problem(directory, login, result):
    """For a grant: does the session name the target and the person?"""
    target = directory.find_targets(login.target)
    person = directory.find_people(login.person)
    if len(target) != 1 or len(person) != 1:
        return None
    want_user = target[0].first("mailPrimaryAddress").lower()
    want_person = person[0].first("mailPrimaryAddress").lower()
    got = {"user": result.reply.fields.get("user", ""),
           "auth_user": result.reply.fields.get("auth_user", ""),
           "userdb user": (result.userdb or {}).get("user", ""),
           "master_user": (result.userdb or {}).get("master_user", "")}
    want = {"user": want_user, "auth_user": want_person,
            "userdb user": want_user, "master_user": want_person}
    if harness.DOVECOT24:
        # the session's ACL user: 2.4.1's mail side loses master_user, and
        # without acl_user the mailbox owner (every right) would be it
        got["acl_user"] = (result.userdb or {}).get("acl_user", "")
        want["acl_user"] = want_person
    bad = ["%s=%r (want %r)" % (k, got[k], want[k]) for k in got
           if got[k].lower() != want[k]]
    return "; ".join(bad) or None


def auth_process_pids(dovecot):
    """PIDs of the Dovecot's auth processes (children of its master whose
    process title ends in /auth: not the auth workers)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").strip()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == dovecot.proc.pid and cmd.endswith(b"/auth"):
            pids.append(int(name))
    return pids


def auth_cache_hits(dovecot, timeout=harness.PATIENCE):
    """(hits, lookups) of the Dovecot's auth cache, summed over its auth
    processes: SIGUSR2 makes each log "Authentication cache hits H/N
    (P%)" (2.3 and 2.4). None if no auth process was found (valgrind
    changes the process title)."""
    pids = auth_process_pids(dovecot)
    if not pids:
        return None
    pat = re.compile(r"Authentication cache hits (\d+)/(\d+)")
    mark = dovecot.log_size()
    for pid in pids:
        os.kill(pid, signal.SIGUSR2)
    text = harness.wait_log(dovecot, mark, lambda t: len(pat.findall(t))
                            >= len(pids), timeout)
    found = pat.findall(text)
    if len(found) < len(pids):
        raise AssertionError("%r: no cache statistics logged after SIGUSR2"
                             ":\n%s" % (dovecot, text[-2000:]))
    return (sum(int(h) for h, _ in found), sum(int(n) for _, n in found))


# --- reports -------------------------------------------------------------------

Mismatch = namedtuple("Mismatch", "cfg round login expected observed result "
                      "what")


def reason_class(outcome):
    """The model's answer, coarse, to group mismatches by."""
    if outcome.kind != "denied":
        return str(outcome)
    return "denied " + re.split(r"[(:]", outcome.detail)[0].strip()


def crash_lines(dovecot):
    """Panic/Fatal/signal lines of the Dovecot, and the last lines before
    the first of them."""
    lines = dovecot.log_text().splitlines()
    hits = [i for i, line in enumerate(lines)
            if any(w in line for w in ("Panic:", "Fatal:", "signal"))]
    if not hits:
        return "\n".join(lines[-5:])
    return "\n".join(["  " + lines[i] for i in hits[:5]] +
                     ["  before it:"] +
                     ["    " + x for x in lines[max(0, hits[0] - 6):hits[0]]])


def logged_refusals(text, rip):
    """Kinds of refusal the plugin logged for requests from rip."""
    # 2.3: "auth: Info: functional(user,RIP,<session>): denied: ...";
    # 2.4: "auth(user,RIP,sasl:plain[,master])<session>: Info:
    # functional[-master]: denied: ..." (the passdb's name as prefix)
    pat = re.compile(harness.dialect(
        r"functional\([^)]*,%s[,)].*",
        r"auth\([^)]*,%s(?:,[^)]*)?\)(?:<[^>]*>)?: \w+: "
        r"functional(?:-master)?: .*")
        % re.escape(rip))
    kinds = set()
    for m in pat.finditer(text):
        line = m.group(0)
        if "password bind refused" in line or "empty password" in line:
            kinds.add("bad_password")
        elif "denied:" in line or "rejected login" in line:
            kinds.add("denied")
    return kinds


def log_lines(dovecot, rip):
    pat = re.compile(r"[(,]%s[,)]|rip=%s\b" % (re.escape(rip),
                                               re.escape(rip)))
    return [line for line in dovecot.log_text().splitlines()
            if pat.search(line)]


def relevant_entries(gen, directory, login):
    """LDIF of the people and target the login names, and of the groups
    of the person that the target mentions (or that have no cn)."""
    people = directory.find_people(login.person)
    targets = directory.find_targets(login.target)
    shown = people + targets
    for p in people[:1]:
        mentioned = " ".join(v.lower() for t in targets
                             for v in t.values("univentionMailACL") +
                             t.values("uniqueMember"))
        groups = [g for _, g in directory.groups_of(p, DEPTH)]
        picked = [g for g in groups if not g.values("cn") or any(
            c.lower() in mentioned for c in g.values("cn"))]
        shown += picked
        if len(groups) > len(picked):
            shown.append("# and %d more groups of the person: %s" % (
                len(groups) - len(picked),
                ", ".join(g.dn for g in groups if g not in picked)[:600]))
    out = []
    for e in shown:
        if isinstance(e, str):
            out.append(e)
            continue
        full = gen.entry(dn_key(e.dn))
        out.append(full.ldif() + ("# (cn unreadable by the service "
                                  "account)\n" if full.hidden else ""))
    return "\n".join(out)


def format_mismatch(seed, gen, directory, dovecots, m):
    lg = m.login
    pw_note = ("empty" if not lg.password else
               "the person's" if m.expected.kind != "bad_password"
               else "wrong")
    lines = [
        "MISMATCH seed=%d config=%s round %d" % (seed, describe(m.cfg),
                                                  m.round),
        "  login: form=%s person=%r target=%r password=%s (%s)%s" % (
            lg.form, lg.person, lg.target, pw_note, lg.note or "fresh",
            "" if m.what == "answer" else "  [%s]" % m.what),
        "  request: %r" % request(lg),
        "  model:  %s" % (m.expected,),
    ]
    lines += ["    | " + t for t in m.expected.trace]
    lines.append("  plugin: %s" % m.observed)
    if m.result:
        lines.append("    reply:  " + m.result.reply.raw.strip())
    if m.result and m.result.userdb_raw:
        lines.append("    userdb: " + m.result.userdb_raw.strip())
    lines += ["    log: " + line for line in
              log_lines(dovecots[m.cfg.name], rip_of(lg))[-8:]]
    lines.append("  rerun: FA_MODEL_SEED=%d FA_REQUIRE_MODULE=1 /usr/bin/"
                 "python3 -m unittest tests.integration.test_model" % seed)
    lines.append("  shrink: cd tests/integration && /usr/bin/python3 -m "
                 "model.repro %d %s %s %s" % (seed, lg.form,
                                              shlex.quote(lg.person),
                                              shlex.quote(lg.target)))
    lines.append("  entries:")
    lines += ["    " + line for line in
              relevant_entries(gen, directory, lg).splitlines()]
    return "\n".join(lines)


def summarize(seed, gen, directory, dovecots, mismatches):
    by_class = defaultdict(list)
    for m in mismatches:
        by_class[(m.what, reason_class(m.expected), m.observed)].append(m)
    out = ["seed %d: %d mismatches in %d classes" % (
        seed, len(mismatches), len(by_class))]
    for (what, exp, obs), ms in sorted(by_class.items(),
                                       key=lambda kv: -len(kv[1])):
        cfgs = Counter(m.cfg.name for m in ms)
        out.append("  %3d x %s: model %r, plugin %r  [%s]" % (
            len(ms), what, exp, obs,
            ", ".join("%s %d" % kv for kv in sorted(cfgs.items()))))
    for ms in by_class.values():
        for m in ms[:MAX_EXAMPLES]:
            out.append("")
            out.append(format_mismatch(seed, gen, directory, dovecots, m))
    return "\n".join(out)


# --- the test --------------------------------------------------------------------

class ModelTest(unittest.TestCase):
    """One test per seed (test_seed_<n>), added below."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_module()
        st = os.stat(harness.MODULE_PATH)
        with open(harness.MODULE_PATH, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:12]
        print("\nmodel test against %s (built %s, sha256 %s)" % (
            harness.MODULE_PATH, time.strftime(
                "%Y-%m-%d %H:%M:%S", time.localtime(st.st_mtime)), digest),
            file=sys.stderr)

    def start_servers(self, gen, seed):
        tmp = tempfile.mkdtemp(prefix="fa-model-")
        if not harness.KEEP_TMP:
            self.addCleanup(shutil.rmtree, tmp, True)
        ldif = os.path.join(tmp, "directory.ldif")
        gen.write_ldif(ldif)
        slapd = authclient.ModelSlapd(gen.hidden_base, ldif=ldif)
        self.addCleanup(slapd.cleanup)
        dovecots, errors = {}, []

        def start(cfg):
            try:
                dovecots[cfg.name] = harness.Dovecot(
                    plugin_conf_text=harness.fixture_plugin_conf(
                        slapd.uri, **plugin_settings(cfg)),
                    ldap_uri=slapd.uri, auth_debug=False, auth_verbose=True,
                    extra_conf=extra_conf(cfg))
            except Exception as e:   # reported below
                errors.append("%s: %s" % (cfg.name, e))
        threads = [threading.Thread(target=start, args=(cfg,))
                   for cfg in configs(seed)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.addCleanup(self.stop_all, list(dovecots.values()))
        if errors:
            self.fail("Dovecot did not start:\n" + "\n".join(errors))
        return dovecots

    @staticmethod
    def stop_all(servers):
        """Stop them in parallel (a Dovecot takes seconds to stop)."""
        errors = []

        def stop(server):
            try:
                server.cleanup()
            except Exception as e:   # e.g. valgrind's findings
                errors.append("%r: %s" % (server, e))
        threads = [threading.Thread(target=stop, args=(s,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise AssertionError("\n".join(errors))

    def run_round(self, dovecots, requests):
        """The same requests against every Dovecot at once."""
        results, errors = {}, []

        def run(name):
            try:
                results[name] = authclient.run_logins(dovecots[name],
                                                      requests, TIMEOUT)
            except (ConnectionError, OSError) as e:
                errors.append("%s: %s\n%s" % (name, e,
                                               crash_lines(dovecots[name])))
        threads = [threading.Thread(target=run, args=(n,)) for n in dovecots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.fail("auth connection failed (auth process died?) in "
                      "seed %d round %d:\n%s\nfind the login: cd tests/"
                      "integration && /usr/bin/python3 -m model.repro --crash "
                      "%d %d" % (self.seed, self.round, "\n".join(errors),
                                 self.seed, self.round))
        return results

    def check_seed(self, seed):
        started = time.monotonic()
        day = refmodel.today()
        gen = gendir.generate(seed, 0.5 if VALGRIND else 1.0, day=day)
        directory = refmodel.Directory(gen.entries)
        cfgs = configs(seed)
        model = {c.name: refmodel.Settings(c.min_right, DEPTH, day)
                 for c in cfgs}
        n = int(os.environ.get("FA_MODEL_LOGINS", DEFAULT_LOGINS))
        rounds = gendir.login_rounds(
            gen, seed, n, ROUNDS, lambda p, t, pw: refmodel.decide(
                directory, p, t, pw, model["cold"]))
        dovecots = self.start_servers(gen, seed)
        mismatches, tally = [], Counter()
        timings = ["start %.1fs" % (time.monotonic() - started)]
        self.seed = seed
        for r, logins in enumerate(rounds, 1):
            self.round = r
            t0 = time.monotonic()
            results = self.run_round(dovecots, [request(lg) for lg in logins])
            timings.append("round %d %.1fs" % (r, time.monotonic() - t0))
            for cfg in cfgs:
                for lg, res in zip(logins, results[cfg.name]):
                    exp = refmodel.decide(directory, lg.person, lg.target,
                                          lg.password, model[cfg.name])
                    tally[expected_class(exp).split(" (")[0]] += 1
                    mismatches += self.compare(directory, cfg, r, lg, exp,
                                               res)
        if REASONS:
            mismatches += self.check_reasons(dovecots, cfgs, rounds, directory,
                                             model)
        # the auth-cache configs must have answered repeats from the cache
        # (else they compared nothing the cold ones do not); a cache that
        # served one login's entry to another shows as mismatches above
        cache_stats, no_hits = [], []
        for cfg in cfgs:
            if not cfg.auth_cache:
                continue
            stats = auth_cache_hits(dovecots[cfg.name])
            if stats is None and not VALGRIND:
                no_hits.append("%s: no auth process found" % cfg.name)
            elif stats is not None:
                cache_stats.append("%s %d/%d" % ((cfg.name,) + stats))
                if stats[0] == 0:
                    no_hits.append("%s: auth cache hits %d/%d"
                                   % ((cfg.name,) + stats))
        timings.append("auth cache hits " + (", ".join(cache_stats) or "?"))
        print("seed %d: %d logins x %d configs in %.1fs (%s), %d mismatches;"
              " model: %s" % (seed, sum(len(x) for x in rounds), len(cfgs),
                              time.monotonic() - started, ", ".join(timings),
                              len(mismatches), ", ".join(
                                  "%s %d" % kv for kv in
                                  sorted(tally.items()))), file=sys.stderr)
        if mismatches:
            self.fail(summarize(seed, gen, directory, dovecots, mismatches))
        self.assertFalse(no_hits, "seed %d: the auth cache served no login "
                         "although the rounds repeat logins within its TTL "
                         "(%d s): %s" % (seed, CACHE_TTL, "; ".join(no_hits)))

    @staticmethod
    def check_reasons(dovecots, cfgs, rounds, directory, model):
        """FA_MODEL_REASONS=1: a refusal the plugin logged must be of the
        model's kind (a denial or a bad password: the precedence of step
        3). Auth-cache hits log nothing and are not checked."""
        out, seen = [], set()
        for cfg in cfgs:
            text = dovecots[cfg.name].log_text()
            for r, logins in enumerate(rounds, 1):
                for lg in logins:
                    exp = refmodel.decide(directory, lg.person, lg.target,
                                          lg.password, model[cfg.name])
                    if (exp.kind not in ("denied", "bad_password") or
                            (cfg.name, lg) in seen):
                        continue
                    seen.add((cfg.name, lg))
                    kinds = logged_refusals(text, rip_of(lg))
                    if kinds - {exp.kind}:
                        out.append(Mismatch(cfg, r, lg, exp, "logged " +
                                            "/".join(sorted(kinds)),
                                            None, "reason"))
        return out

    @staticmethod
    def compare(directory, cfg, r, lg, exp, res):
        obs = observed_class(res)
        if obs != expected_class(exp):
            return [Mismatch(cfg, r, lg, exp, obs, res, "answer")]
        if res.reply.ok:
            problem = identity_problem(directory, lg, res)
            if problem:
                return [Mismatch(cfg, r, lg, exp, problem, res, "identity")]
        return []


def _add_seed_tests():
    for seed in seeds():
        def test(self, seed=seed):
            print("\n== model seed %d (FA_MODEL_SEED=%d reruns it)"
                  % (seed, seed), file=sys.stderr)
            self.check_seed(seed)
        test.__doc__ = "generated directory and logins, seed %d" % seed
        setattr(ModelTest, "test_seed_%d" % seed, test)


_add_seed_tests()

if __name__ == "__main__":
    unittest.main()
