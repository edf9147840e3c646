"""Reference model of the functional-account decision.

decide(directory, person, target, password, settings) answers one login
(person and target as typed, the password) from a Directory (Python
entries, see ldapdata.Entry) the way the spec states the decision,
independently of the C plugin:

    Outcome("granted", right)        right: none < read < ... < all
    Outcome("denied", reason)        reason: a short class, e.g. "no rule"
    Outcome("bad_password", None)
    Outcome("tempfail", None)

Each Outcome carries a trace (list of lines) saying why, for mismatch
reports. The settings are those test_model.py gives the plugin:

    person_filter   (&(objectClass=univentionMail)(|(uid=%u)(mailPrimaryAddress=%u)))
    person_disabled_filter (univentionObjectFlag=disabled)
    person_expire_attribute shadowExpire
    target_filter   default (oxFunctionalAccount or univentionMailSharedFolder
                    with mailPrimaryAddress=%u)
    member_attribute uniqueMember, acl_attribute univentionMailACL
    group_filter    (&(objectClass=posixGroup)(|(uniqueMember=%{dn})(memberUid=%{uid})))
    group_name_attribute cn; group_nesting_depth, min_right: Settings
"""

import re
import time
from collections import namedtuple

from .ldapdata import dn_key, norm_exact, norm_ignore

RIGHTS = ("none", "read", "post", "append", "write", "all")
SPECIAL_IDS = ("anyone", "authenticated")

Outcome = namedtuple("Outcome", "kind detail trace")
Outcome.__str__ = lambda o: o.kind + (" " + o.detail if o.detail else "")


def today():
    """Days since 1970-01-01 (UTC)."""
    return int(time.time() // 86400)


class Settings:
    def __init__(self, min_right="read", depth=3, day=None):
        self.min_right = min_right
        self.depth = depth
        self.day = day


# --- the directory as the plugin's searches see it ---------------------------

class Directory:
    """Entries indexed for the decision. `entries` are full entries (the
    password check binds, so it sees userPassword); everything else uses
    what the service account may read (Entry.visible())."""

    def __init__(self, entries):
        self.full = {dn_key(e.dn): e for e in entries}
        self.entries = [e.visible() for e in entries]
        self.people = [e for e in self.entries
                       if e.has_class("univentionMail")]
        self.targets = [e for e in self.entries
                        if e.has_class("oxFunctionalAccount") or
                        e.has_class("univentionMailSharedFolder")]
        self.groups = [e for e in self.entries if e.has_class("posixGroup")]
        self.member_keys = {dn_key(g.dn): {dn_key(m) for m in
                                           g.values("uniqueMember")}
                            for g in self.groups}
        self.member_uids = {dn_key(g.dn): {norm_exact(v) for v in
                                           g.values("memberUid")}
                            for g in self.groups}
        self._groups_cache = {}

    def find_people(self, typed):
        """person_filter with %u = typed (caseIgnoreMatch, subtypes too)."""
        want = norm_ignore(typed)
        return [p for p in self.people
                if want in {norm_ignore(v) for v in
                            p.values("uid") + p.values("mailPrimaryAddress")}]

    def find_targets(self, typed):
        want = norm_ignore(typed)
        return [t for t in self.targets
                if want in {norm_ignore(v) for v in
                            t.values("mailPrimaryAddress")}]

    def password(self, person):
        return self.full[dn_key(person.dn)].first("userPassword")

    def direct_groups(self, person):
        """group_filter: uniqueMember = the person's DN (DN match) or
        memberUid = the person's uid (caseExactIA5Match)."""
        key = dn_key(person.dn)
        uid = person.first("uid")
        uids = {norm_exact(uid)} if uid is not None else set()
        return [g for g in self.groups
                if key in self.member_keys[dn_key(g.dn)] or
                uids & self.member_uids[dn_key(g.dn)]]

    def groups_of(self, person, depth):
        """Direct groups, then parents level by level (breadth first, so
        a group counts at its shortest distance), `depth` levels in all
        (0 and 1: direct only); loops end the walk. [(level, entry)]"""
        key = (dn_key(person.dn), depth)
        if key not in self._groups_cache:
            self._groups_cache[key] = self._walk(person, depth)
        return self._groups_cache[key]

    def _walk(self, person, depth):
        found = [(1, g) for g in self.direct_groups(person)]
        seen = {dn_key(g.dn) for _, g in found}
        frontier, level = set(seen), 1
        while frontier and level < max(depth, 1):
            level += 1
            parents = [g for g in self.groups if dn_key(g.dn) not in seen
                       and self.member_keys[dn_key(g.dn)] & frontier]
            found += [(level, g) for g in parents]
            frontier = {dn_key(g.dn) for g in parents}
            seen |= frontier
        return found


# --- the person ----------------------------------------------------------------

_NUMBER = re.compile(r"-?[0-9]+")


def disabled_reason(person, day):
    """Why the person is disabled, or None."""
    for value in person.values("shadowExpire"):
        if not _NUMBER.fullmatch(value):
            return "shadowExpire %r is not a number" % value
        if int(value) <= day:
            return "shadowExpire %s <= today %d" % (value, day)
    if "disabled" in {norm_ignore(v)
                      for v in person.values("univentionObjectFlag")}:
        return "person_disabled_filter (univentionObjectFlag=disabled)"
    return None


# --- ACL values ------------------------------------------------------------------

AclValue = namedtuple("AclValue", "raw words ident right")
# ident/right None: malformed


def parse_acl(raw):
    """UCS's reading: split on whitespace, the last word is the right,
    the words before it (joined by one space) the identifier."""
    words = raw.split()
    if len(words) < 2 or words[-1].lower() not in RIGHTS:
        return AclValue(raw, words, None, None)
    return AclValue(raw, words, " ".join(words[:-1]),
                    RIGHTS.index(words[-1].lower()))


def id_class(ident):
    if "@" in ident:
        return "person"
    if ident.lower() in SPECIAL_IDS:
        return "special"
    return "group"


def word_prefixes(words):
    return [norm_ignore(" ".join(words[:k])) for k in range(1, len(words) + 1)]


def person_layer(acls, address, trace):
    """("deny", why) | (right, why) | None when no value names the person."""
    addr = norm_ignore(address) if address else None
    for a in acls:
        if a.ident is None and addr and addr in word_prefixes(a.words):
            return "deny", "malformed value %r names the person" % a.raw
    mine = [a for a in acls if a.ident is not None and
            id_class(a.ident) == "person" and addr and
            norm_ignore(a.ident) == addr]
    if not mine:
        return None
    weakest = min(mine, key=lambda a: a.right)
    trace.append("person values %s -> weakest %s" % (
        [a.raw for a in mine], RIGHTS[weakest.right]))
    return weakest.right, "user %r" % weakest.raw


def group_layer(acls, names, trace):
    """Same answers as person_layer, for anyone/authenticated/groups."""
    known = set(names) | set(SPECIAL_IDS)
    for a in acls:
        if a.ident is None and known & set(word_prefixes(a.words)):
            return "deny", "malformed value %r names a group of the " \
                "person or anyone/authenticated" % a.raw
    per_id = {}
    for a in acls:
        if a.ident is None or id_class(a.ident) == "person":
            continue
        key = norm_ignore(a.ident)
        if key in known:
            per_id[key] = min(per_id.get(key, a.right), a.right)
    if not per_id:
        return None
    best = max(per_id, key=per_id.get)
    trace.append("group values by identifier %s -> strongest %s (%s)" % (
        {k: RIGHTS[v] for k, v in per_id.items()}, RIGHTS[per_id[best]],
        best))
    return per_id[best], "group %r" % best


# --- the decision ----------------------------------------------------------------

def _denied(reason, trace):
    trace.append("DENIED: " + reason)
    return Outcome("denied", reason, trace)


def _find_person(directory, typed, day, trace):
    """(person entry, None) or (None, Outcome)."""
    people = directory.find_people(typed)
    trace.append("person %r: %s" % (typed, [p.dn for p in people]))
    if not people:
        return None, _denied("unknown person", trace)
    if len(people) > 1:
        return None, _denied("ambiguous person", trace)
    why = disabled_reason(people[0], day)
    if why:
        trace.append(why)
        return None, _denied("disabled person", trace)
    return people[0], None


def decide(directory, person, target, password, settings=None):
    """The outcome of one login; see the module docstring."""
    settings = settings or Settings()
    day = settings.day if settings.day is not None else today()
    trace = []
    p, fail = _find_person(directory, person, day, trace)
    if fail:
        return fail
    if not password or password != directory.password(p):
        trace.append("password %s" % ("empty" if not password else "wrong"))
        return Outcome("bad_password", None, trace)
    targets = directory.find_targets(target)
    trace.append("target %r: %s" % (target, [t.dn for t in targets]))
    if len(targets) != 1:
        return _denied("%s target" % ("unknown" if not targets
                                      else "ambiguous"), trace)
    return authorize(directory, p, targets[0], settings, trace)


def authorize(directory, p, t, settings, trace):
    groups = directory.groups_of(p, settings.depth)
    trace.append("groups: %s" % ["%d:%s" % (lvl, g.dn) for lvl, g in groups])
    members = {dn_key(m) for m in t.values("uniqueMember")}
    if dn_key(p.dn) in members:
        trace.append("GRANTED all: uniqueMember (person)")
        return Outcome("granted", "all", trace)
    via = [g.dn for _, g in groups if dn_key(g.dn) in members]
    if via:
        trace.append("GRANTED all: uniqueMember (group %s)" % via[0])
        return Outcome("granted", "all", trace)
    acls = [parse_acl(v) for v in t.values("univentionMailACL")]
    decision = person_layer(acls, p.first("mailPrimaryAddress"), trace)
    if decision is None:
        names = {norm_ignore(c) for _, g in groups for c in g.values("cn")}
        decision = group_layer(acls, names, trace)
        if any(not g.values("cn") for _, g in groups) and \
                _depends_on_unknown_names(acls, names, decision, settings):
            trace.append("TEMPFAIL: a group of the person has no "
                         "readable cn, and some name it could have "
                         "changes the answer")
            return Outcome("tempfail", None, trace)
    return _result(decision, settings, trace)


def _outcome_of(decision, settings):
    o = _result(decision, settings, [])
    return o.kind, o.detail if o.kind == "granted" else None


def _depends_on_unknown_names(acls, names, decision, settings):
    """Could a nameless group of the person, named as anything the ACL
    mentions, change the outcome? Tried: each name alone, and all at once
    (several nameless groups)."""
    candidates = set()
    for a in acls:
        if a.ident is None:
            candidates.update(word_prefixes(a.words))
        elif id_class(a.ident) == "group":
            candidates.add(norm_ignore(a.ident))
    candidates -= names
    base = _outcome_of(decision, settings)
    tries = [{c} for c in candidates] + [candidates]
    return any(_outcome_of(group_layer(acls, names | extra, []), settings)
               != base for extra in tries if extra)


def _result(decision, settings, trace):
    if decision is None:
        return _denied("no rule", trace)
    right, why = decision
    if right == "deny":
        return _denied("malformed ACL: " + why, trace)
    if right == 0:
        return _denied("right none (%s)" % why, trace)
    if right < RIGHTS.index(settings.min_right):
        return _denied("right %s below min_right %s" % (
            RIGHTS[right], settings.min_right), trace)
    trace.append("GRANTED %s: %s" % (RIGHTS[right], why))
    return Outcome("granted", RIGHTS[right], trace)
