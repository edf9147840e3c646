"""Seeded random UCS/OX directories and login sequences for test_model.py.

generate(seed, scale=1.0) -> Generated: the entries (ldapdata.Entry) for
the model, .write_ldif(path) for slapadd, .hidden_base (groups below it
have an unreadable cn: test_model.py's slapd gets an ACL for it), and the
people and targets the login generator draws from. Every directory
contains random parts and planted scenarios:

  people     uid and mailPrimaryAddress in mixed case; DNs uid=... or
             cn=<non-ASCII name>; option-tagged uid;lang-de / uid;lang-fr
             (sometimes colliding with another person's uid) and
             mailPrimaryAddress;lang-de; shadowExpire past/today/future/
             non-numeric/tagged; univentionObjectFlag disabled in several
             spellings (and non-disabling flags); two people whose uids
             differ only in case; one person in more than 64 groups;
             decoy entries without univentionMail
  groups     posixGroup+extensibleObject; uniqueMember DNs spelled with
             other case, spaces around = and , or hex escapes; memberUid
             (exact, or in another case, which LDAP does not match);
             nesting with loops and self-membership; a chain deeper than
             group_nesting_depth; names with spaces and non-ASCII, names
             differing only in case, names equal to a person's uid,
             several cn values; groups whose cn is unreadable; decoy
             groupOfUniqueNames entries
  targets    oxFunctionalAccount (uniqueMember people and groups), UCS
             shared folders with univentionMailACL in every spelling
             (whitespace, tabs, case of rights, anyone/authenticated,
             malformed values), hybrids, two targets differing only in
             the case of their address, tagged addresses

login_rounds(gen, seed, n_logins, n_rounds, decide) -> rounds of Login:
all forms (P/T, P*T, SASL authzid), people typed by uid, tagged uid or
address in mixed case, wrong/empty passwords, unknown people and targets,
repeats (cache hits) and people moving between OX accounts and folders.
"""

import random
from collections import namedtuple

from .ldapdata import (Entry, dn_key, escape_dn_value, norm_exact,
                       norm_ignore, write_ldif)
from . import refmodel

BASE = "dc=example,dc=com"
USERS = "cn=users," + BASE
GROUPS = "cn=groups," + BASE
GROUPS2 = "cn=more,cn=groups," + BASE
HIDDEN = "cn=hidden,cn=groups," + BASE
OX = "cn=functional_accounts,cn=open-xchange," + BASE
SHARED = "cn=shared,cn=mail," + BASE
DECOYS = "cn=decoys," + BASE
SERVICE_DN = "cn=dovecot,cn=users," + BASE

FIRST = ["anna", "ben", "clara", "david", "eva", "felix", "greta", "hans",
         "ida", "jonas", "karl", "lena", "max", "nora", "otto", "paul",
         "rosa", "sven", "tina", "uwe", "vera", "wolf", "yara", "zoe"]
LAST = ["berg", "koch", "lang", "meyer", "neu", "ott", "roth", "schulz",
        "vogel", "wolff", "ziegler", "brandt"]
# display names for cn=... person DNs: letters with a simple case mapping
NICE = ["Jörg Müller", "Zoë Ødegaard", "Łukasz Żak", "Élodie Núñez",
        "Åsa Öberg", "Çağla Ünal", "Jürgen Weiz-Hähnel", "Renée Dubé",
        "Søren Ærø", "Ignaz Übel"]
GROUP_NAMES = ["Domain Users", "Domain Admins", "Sales", "Support",
               "Müller-Team", "ÄRZTE und Pflege", "Projekt Ö", "Dev Ops",
               "helpdesk", "Team  Nord", "Élan", "Buchhaltung", "qa",
               "Marketing EU", "Öffentlichkeit"]
DOMAINS = ["example.com", "Example.com", "EXAMPLE.COM", "example.org"]
BAD_RIGHTS = ["everything", "readd", "rw", "lrs", "full", "0"]

Person = namedtuple("Person", "entry uid mail password logins")
Target = namedtuple("Target", "entry mail logins")
Login = namedtuple("Login", "form person target password note")


class Generated:
    """A generated directory; see the module docstring."""

    def __init__(self, seed):
        self.seed = seed
        self.entries = []
        self.people = []
        self.targets = []
        self.groups = []
        self.hidden_base = HIDDEN
        self.planted = []   # (Person, Target) pairs of planted scenarios

    def add(self, dn, attrs, hidden=()):
        entry = Entry(dn, attrs, hidden)
        self.entries.append(entry)
        return entry

    def write_ldif(self, path):
        write_ldif(self.entries, path)

    def entry(self, key):
        """The entry whose dn_key() is key, or None."""
        for e in self.entries:
            if dn_key(e.dn) == key:
                return e
        return None


# --- spelling variants ----------------------------------------------------------

def flip_case(rng, text):
    """Random case for every letter (any script with a simple mapping)."""
    return "".join(c.upper() if rng.random() < 0.5 else c.lower()
                   for c in text)


def case_variant(rng, text):
    return rng.choice([text, text.lower(), text.upper(),
                       text.capitalize(), flip_case(rng, text)])


def _hex_escape(text):
    return "".join("".join("\\%02X" % b for b in c.encode())
                   if ord(c) > 127 else c for c in text)


def dn_variant(rng, dn):
    """The same DN (per LDAP) spelled differently: case of types and
    values, spaces around '=' and ',', sometimes hex escapes of non-ASCII
    letters. The generator's DNs have no escaped characters."""
    if rng.random() < 0.35:
        return dn
    rdns = []
    for rdn in dn.split(","):
        attr, _, value = rdn.partition("=")
        attr = case_variant(rng, attr)
        value = case_variant(rng, value)
        if rng.random() < 0.1:
            value = _hex_escape(value)
        eq = rng.choice(["=", "=", " = ", "= ", " ="])
        rdns.append(attr + eq + value)
    out = rdns[0]
    for rdn in rdns[1:]:
        out += rng.choice([",", ",", ", ", " , ", " ,"]) + rdn
    return out


def spaced_words(rng, words):
    """Words joined by random whitespace runs, with random ends."""
    seps = [" ", " ", "  ", "\t", " \t "]
    ends = ["", "", "", " ", "\t", "  "]
    return rng.choice(ends) + "".join(
        w if i == 0 else rng.choice(seps) + w
        for i, w in enumerate(words)) + rng.choice(ends)


def dedupe(values, key=norm_ignore):
    """Drop values equal under the attribute's matching rule (slapd
    refuses duplicates)."""
    seen, out = set(), []
    for v in values:
        k = key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


# --- people -----------------------------------------------------------------

class _Names:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def slug(self):
        while True:
            s = "%s.%s" % (self.rng.choice(FIRST), self.rng.choice(LAST))
            if self.rng.random() < 0.5:
                s += str(self.rng.randint(2, 99))
            if s not in self.used:
                self.used.add(s)
                return s


def _expire_value(rng, day):
    return str(rng.choice([
        day - 400, day - 1, day, day + 1, day + 400, 99999, 1, 0, -1,
        "never", "99999x", "abc", "99999999999999999999"]))


def _person_flags(rng, day):
    attrs = []
    r = rng.random()
    if r < 0.12:
        attrs.append(("shadowExpire", _expire_value(rng, day)))
    elif r < 0.16:
        attrs.append(("shadowExpire", str(day + 500)))
        attrs.append(("shadowExpire;lang-de", _expire_value(rng, day)))
    r = rng.random()
    if r < 0.08:
        attrs.append(("univentionObjectFlag", rng.choice(
            ["disabled", "Disabled", "DISABLED", " disabled"])))
    elif r < 0.11:
        attrs.append(("univentionObjectFlag;lang-de", "disabled"))
    elif r < 0.16:
        attrs.append(("univentionObjectFlag",
                      rng.choice(["hidden", "disabledx", "not disabled"])))
    return attrs


def add_person(gen, rng, names, day, uid=None, dn_cn=None, tags=True,
               flags=True):
    slug = names.slug()
    uid = uid or (slug.capitalize() if rng.random() < 0.2 else slug)
    local = case_variant(rng, slug) if rng.random() < 0.5 else slug
    mail = "%s@%s" % (local, rng.choice(DOMAINS))
    if dn_cn is None and rng.random() < 0.35:
        dn_cn = rng.choice(NICE) + " " + str(len(gen.people))
    dn = ("cn=%s,%s" % (escape_dn_value(dn_cn), USERS) if dn_cn
          else "uid=%s,%s" % (uid, USERS))
    password = "pw-%s-%04d" % (slug, rng.randint(0, 9999))
    logins = [uid, mail]
    tagged = []
    if tags and rng.random() < 0.15:
        tagged.append(("uid;lang-de", slug + "-de"))
    if tags and rng.random() < 0.1:
        tagged.append(("uid;lang-fr", slug + ".fr"))
    if tags and rng.random() < 0.05:
        tagged.append(("mailPrimaryAddress;lang-de",
                       "%s.alt@%s" % (slug, rng.choice(DOMAINS))))
    logins += [v for _, v in tagged]
    attrs = [("objectClass", oc) for oc in (
        "inetOrgPerson", "posixAccount", "shadowAccount", "univentionMail")]
    plain = [("uid", uid), ("cn", dn_cn or slug), ("sn", slug),
             ("uidNumber", str(3000 + len(gen.people))),
             ("gidNumber", "5001"), ("homeDirectory", "/home/" + slug),
             ("mailPrimaryAddress", mail)]
    # tagged values sometimes come before the plain ones
    attrs += (tagged + plain) if rng.random() < 0.5 else (plain + tagged)
    if flags:
        attrs += _person_flags(rng, day)
    attrs.append(("userPassword", password))
    person = Person(gen.add(dn, attrs), uid, mail, password, logins)
    gen.people.append(person)
    return person


def add_people(gen, rng, count, day):
    names = _Names(rng)
    for _ in range(count):
        add_person(gen, rng, names, day)
    _plant_people(gen, rng, names, day)
    return names


def _plant_people(gen, rng, names, day):
    # two people whose uids differ only in case (each logs in by address)
    # (their DNs use cn=...: uid=x and uid=X would be the same DN)
    twin = names.slug()
    a = add_person(gen, rng, names, day, uid=twin, flags=False,
                   dn_cn="Twin %s" % twin)
    b = add_person(gen, rng, names, day, uid=twin.capitalize(), flags=False,
                   dn_cn="Twin %s 2" % twin)
    gen.twins = (a, b)
    # a tagged uid equal to another person's uid: that uid is ambiguous
    other = rng.choice(gen.people[:-2])
    c = add_person(gen, rng, names, day, flags=False)
    c.entry.attrs.insert(4, ("uid;lang-de", other.uid))
    # the non-ASCII DN every run has
    gen.joerg = add_person(gen, rng, names, day, dn_cn="Jörg Müller",
                           flags=False)
    # decoys: same uid / address, but not univentionMail
    decoys = {dn_key("uid=%s,%s" % (p.uid, DECOYS)): p
              for p in rng.sample(gen.people, 3)}
    for p in decoys.values():
        gen.add("uid=%s,%s" % (p.uid, DECOYS), [
            ("objectClass", "inetOrgPerson"), ("uid", p.uid),
            ("cn", p.uid), ("sn", "decoy"), ("mail", p.mail),
            ("userPassword", p.password)])


# --- groups -------------------------------------------------------------------

class Group:
    def __init__(self, entry, names):
        self.entry = entry
        self.names = names


def _group_entry(gen, dn, names, gid, hidden=False):
    attrs = [("objectClass", "posixGroup"),
             ("objectClass", "extensibleObject")]
    attrs += [("cn", n) for n in names]
    attrs.append(("gidNumber", str(gid)))
    entry = gen.add(dn, attrs, hidden=("cn",) if hidden else ())
    group = Group(entry, names)
    gen.groups.append(group)
    return group


def add_member(rng, gen, group, person, how=None):
    """Make person a member (uniqueMember DN variant and/or memberUid)."""
    how = how or rng.choice(["dn", "dn", "uid", "both"])
    if how in ("dn", "both"):
        _add_values(group.entry, "uniqueMember",
                    [dn_variant(rng, person.entry.dn)])
    if how in ("uid", "both"):
        _add_values(group.entry, "memberUid", [person.uid], exact=True)


def add_child(rng, parent, child):
    """child (a group) becomes a member of parent."""
    _add_values(parent.entry, "uniqueMember", [dn_variant(rng, child.entry.dn)])


def _add_values(entry, attr, values, exact=False):
    key = dn_key if attr == "uniqueMember" else (
        norm_exact if exact else norm_ignore)
    have = {key(v) for v in entry.plain(attr)}
    for v in values:
        if key(v) not in have:
            have.add(key(v))
            entry.attrs.append((attr, v))


def add_groups(gen, rng, count):
    gid = [6000]

    def new(name, base=GROUPS, extra_names=(), hidden=False):
        gid[0] += 1
        names = [name] + list(extra_names)
        return _group_entry(gen, "cn=%s,%s" % (escape_dn_value(name), base),
                            names, gid[0], hidden)

    used = set()
    pool = GROUP_NAMES + ["grp-%02d" % i for i in range(count)]
    pool += [p.uid for p in rng.sample(gen.people, 2)]   # named like a uid
    for name in pool[:count + 2]:
        if norm_ignore(name) in used:
            continue
        used.add(norm_ignore(name))
        extra = ["alias %s" % name.lower()] if rng.random() < 0.15 else []
        new(name, extra_names=extra)
    # names differing only in case (another container, another DN)
    for name in rng.sample([g.names[0] for g in gen.groups], 2):
        new(flip_case(rng, name.swapcase()), base=GROUPS2)
    gen.named_groups = list(gen.groups)
    _fill_groups(gen, rng)
    _plant_groups(gen, rng, new)


def _fill_groups(gen, rng):
    visible = list(gen.groups)
    for g in visible:
        for p in rng.sample(gen.people, rng.randint(0, 6)):
            add_member(rng, gen, g, p)
        if rng.random() < 0.15:   # memberUid in another case: no match
            p = rng.choice(gen.people)
            if p.uid.swapcase() != p.uid:
                _add_values(g.entry, "memberUid", [p.uid.swapcase()],
                            exact=True)
        if rng.random() < 0.1:    # dangling members
            g.entry.attrs += [("uniqueMember", "uid=ghost%d,%s" % (
                rng.randint(0, 99), USERS)), ("memberUid", "ghost")]
        if rng.random() < 0.4:    # nesting, loops included
            for child in rng.sample(visible, rng.randint(1, 2)):
                add_child(rng, g, child)


def _plant_groups(gen, rng, new):
    people = gen.people
    # one person in 70 groups
    gen.bulk_person = rng.choice(people)
    gen.bulk = [new("bulk-%03d" % i) for i in range(70)]
    for g in gen.bulk:
        add_member(rng, gen, g, gen.bulk_person)
    # a chain deeper than group_nesting_depth: chain-1 in chain-2 in ...
    gen.chain_person = rng.choice(people)
    gen.chain = [new("chain-%d" % i) for i in range(1, 6)]
    add_member(rng, gen, gen.chain[0], gen.chain_person)
    for child, parent in zip(gen.chain, gen.chain[1:]):
        add_child(rng, parent, child)
    # shortest distance counts: far-1 -> far-2 -> far-3 -> near-top, and
    # near-1 -> near-top directly (near-top is at level 2)
    gen.bfs_person = rng.choice(people)
    far = [new("far-%d" % i) for i in range(1, 4)]
    near1, top = new("near-1"), new("near-top")
    for g in (far[0], near1):
        add_member(rng, gen, g, gen.bfs_person, "dn")
    add_child(rng, far[1], far[0])
    add_child(rng, far[2], far[1])
    add_child(rng, top, far[2])
    add_child(rng, top, near1)
    add_child(rng, top, top)   # and a self-loop
    gen.bfs_top = top
    # groups whose cn the service account cannot read
    gen.hidden = []
    for i in range(2):
        h = new("nocn-%d" % i, base=HIDDEN, hidden=True)
        for p in rng.sample(people, 3):
            add_member(rng, gen, h, p)
        gen.hidden.append(h)
    add_child(rng, rng.choice(gen.groups[:10]), gen.hidden[0])
    # decoys: not posixGroup, so never groups of anybody
    for name in ("Sales", "Domain Users", "decoy-team"):
        e = gen.add("cn=%s,%s" % (name, DECOYS), [
            ("objectClass", "groupOfUniqueNames"), ("cn", name)])
        for p in rng.sample(people, 4):
            _add_values(e, "uniqueMember", [p.entry.dn])
        _add_values(e, "uniqueMember", [rng.choice(gen.groups).entry.dn])


# --- ACL values -------------------------------------------------------------

def right_word(rng, right=None):
    right = right or rng.choice(refmodel.RIGHTS)
    return rng.choice([right, right, right.upper(), right.capitalize()])


def _ident_words(rng, gen):
    """Words of a random identifier and its kind."""
    kind = rng.choices(["mail", "uid", "group", "special"],
                       [4, 1, 5, 1.5])[0]
    if kind == "mail":
        p = rng.choice(gen.people)
        mail = p.mail
        if rng.random() < 0.1:   # a tagged address names nobody
            mail = (p.entry.values("mailPrimaryAddress") + [mail])[0]
        return [case_variant(rng, mail)]
    if kind == "uid":
        return [case_variant(rng, rng.choice(gen.people).uid)]
    if kind == "special":
        return [case_variant(rng, rng.choice(refmodel.SPECIAL_IDS))]
    g = rng.choice(gen.named_groups if rng.random() < 0.85 else gen.groups)
    name = rng.choice(g.names)
    return [case_variant(rng, w) for w in name.split()]


def acl_value(rng, gen, right=None, words=None):
    """One univentionMailACL value; sometimes malformed."""
    words = words or _ident_words(rng, gen)
    r = rng.random()
    if r < 0.07:
        tail = []                                   # right missing
    elif r < 0.13:
        tail = [rng.choice(BAD_RIGHTS)]             # unknown right word
    elif r < 0.16:
        tail = [right_word(rng, right), "extra"]    # trailing junk
    else:
        tail = [right_word(rng, right)]
    return spaced_words(rng, words + tail)


def acl_values(rng, gen, count):
    return dedupe(acl_value(rng, gen) for _ in range(count))


# --- targets ------------------------------------------------------------------

def _target(gen, rng, dn, classes, mail, extra):
    attrs = [("objectClass", oc) for oc in classes]
    attrs += [("cn", dn.split(",")[0][3:]), ("mailPrimaryAddress", mail)]
    logins = [mail]
    if rng.random() < 0.1:
        alias = "alias-" + mail
        attrs.append(("mailPrimaryAddress;lang-de", alias))
        logins.append(alias)
    attrs += extra
    target = Target(gen.add(dn, attrs), mail, logins)
    gen.targets.append(target)
    return target


def add_ox(gen, rng, name, members=(), extra=(), hybrid=False, mail=None):
    mail = mail or "%s@%s" % (case_variant(rng, name), rng.choice(DOMAINS))
    classes = ["oxFunctionalAccount"] + (["extensibleObject"] if hybrid
                                         else [])
    vals = dedupe([dn_variant(rng, m) for m in members], key=dn_key)
    attrs = [("uniqueMember", v) for v in vals] + list(extra)
    if rng.random() < 0.3:
        attrs.append(("oxQuota", str(rng.choice([100, 2048]))))
    return _target(gen, rng, "cn=%s,%s" % (name, OX), classes, mail, attrs)


def add_folder(gen, rng, name, acls, extra=(), hybrid=False, mail=None):
    mail = mail or "%s@%s" % (case_variant(rng, name), rng.choice(DOMAINS))
    classes = ["univentionMailSharedFolder"] + (["extensibleObject"]
                                                if hybrid else [])
    attrs = [("univentionMailACL", v) for v in dedupe(acls)] + list(extra)
    return _target(gen, rng, "cn=%s,%s" % (name, SHARED), classes, mail,
                   attrs)


def _random_members(rng, gen):
    people = [p.entry.dn for p in rng.sample(gen.people, rng.randint(0, 4))]
    groups = [g.entry.dn for g in rng.sample(gen.groups, rng.randint(0, 3))]
    ghost = ["uid=ghost,%s" % USERS] if rng.random() < 0.2 else []
    return people + groups + ghost


def add_targets(gen, rng, n_ox, n_folders):
    for i in range(n_ox):
        add_ox(gen, rng, "ox-%02d" % i, _random_members(rng, gen))
    for i in range(n_folders):
        add_folder(gen, rng, "folder-%02d" % i,
                   acl_values(rng, gen, rng.randint(1, 8)))
    _plant_targets(gen, rng)


def _plant_targets(gen, rng):
    g = gen
    add_ox(g, rng, "ox-hybrid", _random_members(rng, g), hybrid=True,
           extra=[("univentionMailACL", v) for v in acl_values(rng, g, 4)])
    add_folder(g, rng, "folder-hybrid", acl_values(rng, g, 3), hybrid=True,
               extra=[("uniqueMember", dn_variant(rng, m)) for m in
                      dedupe(_random_members(rng, g), key=dn_key)])
    # two targets whose addresses differ only in case: ambiguous
    add_folder(g, rng, "dup-a", ["anyone read"], mail="dup@example.com")
    add_ox(g, rng, "dup-b", [g.people[0].entry.dn], mail="DUP@Example.com")
    bulk = [b.names[0] for b in rng.sample(g.bulk, 3)]
    add_folder(g, rng, "bulk-folder",
               [acl_value(rng, g, r, [n]) for n, r in
                zip(bulk, ["write", "post", "append"])])
    add_ox(g, rng, "bulk-ox", [rng.choice(g.bulk[64:]).entry.dn])
    add_folder(g, rng, "chain-folder", [
        spaced_words(rng, ["chain-3", right_word(rng, "read")]),
        spaced_words(rng, ["chain-4", right_word(rng, "write")])])
    add_ox(g, rng, "chain-ox-3", [g.chain[2].entry.dn])
    add_ox(g, rng, "chain-ox-4", [g.chain[3].entry.dn])
    add_folder(g, rng, "bfs-folder",
               [spaced_words(rng, ["near-top", right_word(rng, "append")])])
    hid = g.hidden[0]
    add_folder(g, rng, "hidden-folder", [
        acl_value(rng, g, "write"), "anyone read",
        spaced_words(rng, [rng.choice(g.people).mail, "all"])])
    add_ox(g, rng, "hidden-ox", [hid.entry.dn])
    uid_group = [x for x in g.groups if x.names[0] in
                 {p.uid for p in g.people}]
    if uid_group:
        add_folder(g, rng, "uid-folder", [
            spaced_words(rng, [uid_group[0].names[0], "write"]),
            "authenticated post"])
    j = g.joerg
    jo = add_ox(g, rng, "joerg-ox",
                ["cn=JÖRG MÜLLER,CN=Users,dc=example,dc=com"])
    jf = add_folder(g, rng, "joerg-folder", [
        spaced_words(rng, [j.mail.upper(), "Append"]),
        spaced_words(rng, [j.mail, "everything"]) if rng.random() < 0.5
        else "Domain Users read"])
    g.planted += [(j, jo), (j, jf)]
    _plant_person_folder(g, rng)
    _plant_twin_folder(g, rng)
    _plant_pairs(g)


def _plant_person_folder(g, rng):
    """The person layer: a person's own value decides alone (weaker than
    the group's, weakest of several), `none` denies, and a malformed value
    naming a person denies, all against a group value of `write`."""
    group = rng.choice(g.named_groups)
    members = [p for p in g.people if _is_direct(g, group, p)]
    for p in rng.sample(g.people, len(g.people)):
        if len(members) >= 4:
            break
        if p not in members:
            add_member(rng, g, group, p, "dn")
            members.append(p)
    a, b, c, d = rng.sample(members, 4)
    words = group.names[0].split()
    acls = [spaced_words(rng, words + [right_word(rng, "write")]),
            spaced_words(rng, [case_variant(rng, a.mail), "read"]),
            spaced_words(rng, [case_variant(rng, a.mail), "ALL"]),
            spaced_words(rng, [b.mail, right_word(rng, "none")]),
            spaced_words(rng, [c.mail, "read", "extra"]),
            spaced_words(rng, [d.mail])]
    t = add_folder(g, rng, "person-folder", acls)
    g.planted += [(p, t) for p in (a, b, c, d)] + [
        (p, t) for p in rng.sample(members, min(3, len(members)))]


def _is_direct(g, group, person):
    return (dn_key(person.entry.dn) in {dn_key(m) for m in
                                        group.entry.values("uniqueMember")}
            or person.uid in group.entry.values("memberUid"))


def _plant_twin_folder(g, rng):
    """memberUid is caseExactIA5Match: only the twin with that exact uid
    is in twin-group."""
    a, b = g.twins
    gid = 7000 + len(g.groups)
    group = _group_entry(g, "cn=twin-group,%s" % GROUPS, ["twin-group"], gid)
    _add_values(group.entry, "memberUid", [a.uid], exact=True)
    t = add_folder(g, rng, "twin-folder",
                   [spaced_words(rng, ["twin-group", "append"])])
    g.planted += [(a, t), (b, t)]


def _plant_pairs(g):
    """People with the targets planted for them."""
    by_name = {t.entry.first("cn"): t for t in g.targets}

    def pair(person, *names):
        g.planted += [(person, by_name[n]) for n in names if n in by_name]
    pair(g.bulk_person, "bulk-folder", "bulk-ox")
    pair(g.chain_person, "chain-folder", "chain-ox-3", "chain-ox-4")
    pair(g.bfs_person, "bfs-folder")
    for h in g.hidden:
        for p in g.people:
            if _is_direct(g, h, p):
                pair(p, "hidden-folder", "hidden-ox", "person-folder")
    uid_groups = [x for x in g.groups if x.names[0] in
                  {p.uid for p in g.people}]
    for x in uid_groups[:1]:
        pair(next(p for p in g.people if p.uid == x.names[0]), "uid-folder")
        for p in g.people:
            if _is_direct(g, x, p):
                pair(p, "uid-folder")


# --- the whole directory ----------------------------------------------------

def _skeleton(gen):
    for dn, attrs in [
            (BASE, [("objectClass", "dcObject"),
                    ("objectClass", "organization"), ("dc", "example"),
                    ("o", "Example")])] + [
            (dn, [("objectClass", "organizationalRole"),
                  ("cn", dn.split(",")[0][3:])])
            for dn in (USERS, GROUPS, GROUPS2, HIDDEN, "cn=mail," + BASE,
                       SHARED, "cn=open-xchange," + BASE, OX, DECOYS)]:
        gen.add(dn, attrs)
    gen.add(SERVICE_DN, [("objectClass", "organizationalRole"),
                         ("objectClass", "simpleSecurityObject"),
                         ("cn", "dovecot"),
                         ("userPassword", "service-secret")])


def generate(seed, scale=1.0, day=None):
    """A random directory for `seed`; see the module docstring."""
    rng = random.Random(seed)
    day = refmodel.today() if day is None else day
    gen = Generated(seed)
    _skeleton(gen)
    add_people(gen, rng, max(6, int(40 * scale)), day)
    add_groups(gen, rng, max(6, int(24 * scale)))
    add_targets(gen, rng, max(3, int(10 * scale)), max(4, int(16 * scale)))
    keys = [dn_key(e.dn) for e in gen.entries]
    if len(set(keys)) != len(keys):
        raise AssertionError("gendir seed %d: two entries with one DN" % seed)
    return gen


# --- logins -------------------------------------------------------------------

def _typed(rng, names):
    return case_variant(rng, rng.choice(names))


def make_login(rng, person, target, password=None, note="", form=None):
    form = form or rng.choice(["slash", "star", "sasl"])
    if form == "sasl" and person.lower() == target.lower():
        form = "slash"   # authzid = authcid is a plain login to Dovecot
    return Login(form, person, target, password, note)


def _pair_pool(gen, decide):
    """(person, target) pairs by the model's answer for a right password:
    granted, denied in authorization, and the rest."""
    granted, denied, other = [], [], []
    for p in gen.people:
        for t in gen.targets:
            out = decide(p.mail, t.mail, p.password)
            bucket = (granted if out.kind == "granted" else
                      denied if out.kind == "denied" and "person" not in
                      out.detail and "target" not in out.detail else other)
            bucket.append((p, t))
    return granted, denied, other


def _fresh_login(rng, gen, pools):
    granted, denied, other = pools
    pool = rng.choices([granted, denied, other, gen.planted],
                       [4, 3, 2, 2])[0] or granted
    p, t = rng.choice(pool)
    person, target = _typed(rng, p.logins), _typed(rng, t.logins)
    r = rng.random()
    if r < 0.08:
        return make_login(rng, person, target, rng.choice(gen.people).password
                          + "x", "wrong password")
    if r < 0.11:
        return make_login(rng, person, target, "", "empty password")
    if r < 0.15:
        return make_login(rng, "ghost%d@example.com" % rng.randint(0, 9),
                          target, p.password, "unknown person")
    if r < 0.19:
        other_p = rng.choice(gen.people)
        return make_login(rng, person, rng.choice(
            [other_p.mail, "nobox@example.com", t.mail + ".org"]),
            p.password, "unknown target")
    if r < 0.21:
        q = rng.choice(gen.targets)
        return make_login(rng, q.mail, target, p.password, "target as person")
    return make_login(rng, person, target, p.password)


def _variation(rng, gen, login):
    """A later login related to an earlier one: the same again (cache
    hit), another form, a wrong then right password, another target."""
    r = rng.random()
    if r < 0.5:
        return login._replace(note="repeat")
    if r < 0.62:
        return make_login(rng, login.person, login.target, login.password,
                          "other form")
    if r < 0.72 and login.password:
        return login._replace(password=login.password + "!",
                              note="wrong after earlier")
    same = [p for p in gen.people if login.password == p.password]
    t = rng.choice(gen.targets)
    if same:
        return make_login(rng, _typed(rng, same[0].logins),
                          _typed(rng, t.logins), login.password,
                          "moves to another target")
    return login._replace(note="repeat")


def login_rounds(gen, seed, n_logins, n_rounds, decide):
    """Rounds (lists) of Login; decide(person, target, password) is the
    model, used only to draw a useful mix of pairs."""
    rng = random.Random(seed * 7919 + 1)
    pools = _pair_pool(gen, decide)
    per_round = max(1, n_logins // n_rounds)
    rounds, history = [], []
    for r in range(n_rounds):
        batch = []
        for _ in range(per_round):
            if history and rng.random() < 0.6:
                batch.append(_variation(rng, gen, rng.choice(history)))
            else:
                batch.append(_fresh_login(rng, gen, pools))
        if batch and rng.random() < 0.5:    # duplicates in flight together
            batch += rng.sample(batch, min(3, len(batch)))
        rounds.append(batch)
        history += batch
    return rounds
