#!/usr/bin/python3
"""gen-directory.py - a realistic UCS + OX directory for the login benchmark.

Writes an LDIF for slapadd (schema: core, cosine, inetorgperson, nis and
tests/integration/schema/ucs-test.schema) and, with --manifest, a JSON file
that tells the benchmark which logins must be granted and which refused,
computed here from the same data with the rules of SPEC.md ("The
decision"), independently of the plugin.

Default size (x1): 1 000 people (1 % of them disabled with shadowExpire: 1),
50 OX functional accounts (oxFunctionalAccount, 8-30 uniqueMember people
each), 50 UCS shared folders with an address (univentionMailSharedFolder,
4-12 univentionMailACL values naming people by address or by uid (a uid
names no person: such a value grants nothing by itself), 1-3 naming
groups, rights none..all), 20 groups (posixGroup + extensibleObject with
both uniqueMember and memberUid; "Domain Users" holds everybody, each
person is in 2 of the other 19). --scale 10 multiplies every count by 10.

Passwords: {SSHA} computed here (sha1(pw + salt) + salt, base64) or, with
--hash crypt, {CRYPT}SHA-512-crypt ($6$, 5000 rounds) from Python's crypt
module or `openssl passwd -6`. Person N's password is "pw-<uid>-<seed>".

Debian 12 /usr/bin/python3 standard library only. Deterministic for a seed.

    bench/gen-directory.py -o dir.ldif --manifest dir.json [--scale 10]
        [--hash ssha|crypt] [--seed 1]
"""

import argparse
import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import warnings

BASE_DN = "dc=example,dc=com"
DOMAIN = "example.com"
SERVICE_DN = "cn=dovecot,cn=users," + BASE_DN
SERVICE_PASSWORD = "service-secret"   # as tests/integration/harness.py
RIGHTS = ["none", "read", "post", "append", "write", "all"]
MIN_RIGHT = "read"
# the weakest right that lets a person send as a target (functional-policy's
# send_min_right default)
SEND_MIN_RIGHT = "append"


def ssha(password):
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def sha512_crypt_many(passwords):
    """{CRYPT}$6$... for each password: crypt module, else openssl."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # noqa: deprecated in 3.11, present on Debian 12
        return ["{CRYPT}" + crypt.crypt(p, crypt.mksalt(crypt.METHOD_SHA512))
                for p in passwords]
    except (ImportError, AttributeError):
        pass
    r = subprocess.run(["openssl", "passwd", "-6", "-stdin"],
                       input="".join(p + "\n" for p in passwords),
                       stdout=subprocess.PIPE, text=True, check=True)
    hashes = r.stdout.split()
    if len(hashes) != len(passwords):
        raise RuntimeError("openssl passwd -6 returned %d hashes for %d "
                           "passwords" % (len(hashes), len(passwords)))
    return ["{CRYPT}" + h for h in hashes]


def entry(dn, attrs):
    lines = ["dn: " + dn]
    for key, values in attrs:
        if not isinstance(values, (list, tuple)):
            values = [values]
        for v in values:
            lines.append("%s: %s" % (key, v))
    return "\n".join(lines) + "\n\n"


def generate(scale=1, seed=1, hash_scheme="ssha", people=None, fas=None,
             folders=None, groups=None):
    rnd = random.Random(seed)
    n_people = people or 1000 * scale
    n_fas = fas or 50 * scale
    n_folders = folders or 50 * scale
    n_groups = groups or 20 * scale

    # --- people --------------------------------------------------------
    persons = []
    width = max(5, len(str(n_people)))
    for i in range(1, n_people + 1):
        uid = "user%0*d" % (width, i)
        persons.append({
            "uid": uid, "mail": "%s@%s" % (uid, DOMAIN),
            "dn": "uid=%s,cn=users,%s" % (uid, BASE_DN),
            "password": "pw-%s-%d" % (uid, seed),
            # every 100th person (1 %) is disabled
            "disabled": i % 100 == 0, "groups": [],
        })
    enabled = [p for p in persons if not p["disabled"]]

    # --- groups ---------------------------------------------------------
    group_list = [{"cn": "Domain Users", "members": list(persons)}]
    for g in range(1, n_groups):
        group_list.append({"cn": "team-%03d" % g, "members": []})
    others = group_list[1:]
    for p in persons:
        for g in rnd.sample(others, min(2, len(others))):
            g["members"].append(p)
    for g in group_list:
        g["dn"] = "cn=%s,cn=groups,%s" % (g["cn"], BASE_DN)
        for p in g["members"]:
            p["groups"].append(g["cn"])

    # --- OX functional accounts -----------------------------------------
    fa_list = []
    for f in range(1, n_fas + 1):
        members = rnd.sample(persons, rnd.randint(8, 30))
        fa_list.append({
            "cn": "fa-%04d" % f, "mail": "fa-%04d@%s" % (f, DOMAIN),
            "dn": "cn=fa-%04d,cn=functional_accounts,cn=open-xchange,%s"
                  % (f, BASE_DN),
            "members": members, "quota": rnd.choice([100, 500, 2000]),
        })

    # --- shared folders ---------------------------------------------------
    folder_list = []
    for f in range(1, n_folders + 1):
        acl = []
        named = rnd.sample(persons, rnd.randint(4, 12))
        for k, p in enumerate(named):
            ident = p["mail"] if k % 2 == 0 else p["uid"]
            # mostly granting rights, some explicit denials
            right = rnd.choice(RIGHTS[1:] * 3 + ["none"])
            acl.append((ident, right, p))
        for g in rnd.sample(others, rnd.randint(1, 3)):
            acl.append((g["cn"], rnd.choice(["read", "post", "write",
                                              "all", "none"]), g))
        mail = "shared-%04d@%s" % (f, DOMAIN)
        folder_list.append({
            "cn": mail, "mail": mail,
            "dn": "cn=%s,cn=mail,%s" % (mail, BASE_DN),
            "acl": acl, "quota": rnd.choice([100, 1000]),
        })

    # --- LDIF --------------------------------------------------------------
    out = []
    out.append(entry(BASE_DN, [("objectClass", ["dcObject", "organization"]),
                               ("dc", "example"), ("o", "Example Ltd")]))
    for cn in ("users", "groups", "mail", "open-xchange"):
        out.append(entry("cn=%s,%s" % (cn, BASE_DN),
                         [("objectClass", "organizationalRole"), ("cn", cn)]))
    out.append(entry("cn=functional_accounts,cn=open-xchange," + BASE_DN,
                     [("objectClass", "organizationalRole"),
                      ("cn", "functional_accounts")]))
    out.append(entry(SERVICE_DN, [
        ("objectClass", ["organizationalRole", "simpleSecurityObject"]),
        ("cn", "dovecot"), ("description", "Dovecot service account"),
        ("userPassword", ssha(SERVICE_PASSWORD))]))

    if hash_scheme == "crypt":
        hashes = sha512_crypt_many([p["password"] for p in persons])
    else:
        hashes = [ssha(p["password"]) for p in persons]
    for i, (p, pw_hash) in enumerate(zip(persons, hashes), 1):
        attrs = [("objectClass", ["inetOrgPerson", "posixAccount",
                                  "shadowAccount", "univentionMail"]),
                 ("uid", p["uid"]), ("cn", "Person %d" % i),
                 ("sn", "Person"), ("givenName", "P%d" % i),
                 ("uidNumber", 10000 + i), ("gidNumber", 5001),
                 ("homeDirectory", "/home/" + p["uid"]),
                 ("mailPrimaryAddress", p["mail"]),
                 ("mailAlternativeAddress", p["uid"] + ".alt@" + DOMAIN)]
        if p["disabled"]:
            attrs.append(("shadowExpire", 1))
        attrs.append(("userPassword", pw_hash))
        out.append(entry(p["dn"], attrs))
    for n, g in enumerate(group_list):
        out.append(entry(g["dn"], [
            ("objectClass", ["posixGroup", "extensibleObject"]),
            ("cn", g["cn"]), ("gidNumber", 5001 + n),
            ("memberUid", [p["uid"] for p in g["members"]]),
            ("uniqueMember", [p["dn"] for p in g["members"]])]))
    for fa in fa_list:
        out.append(entry(fa["dn"], [
            ("objectClass", "oxFunctionalAccount"), ("cn", fa["cn"]),
            ("mailPrimaryAddress", fa["mail"]), ("oxQuota", fa["quota"]),
            ("oxPersonal", "Team " + fa["cn"]),
            ("uniqueMember", [p["dn"] for p in fa["members"]])]))
    for fo in folder_list:
        out.append(entry(fo["dn"], [
            ("objectClass", "univentionMailSharedFolder"), ("cn", fo["cn"]),
            ("mailPrimaryAddress", fo["mail"]),
            ("univentionMailACL", ["%s %s" % (i, r) for i, r, _ in fo["acl"]]),
            ("univentionMailUserQuota", fo["quota"])]))
    ldif = "".join(out)

    # --- expected decisions (SPEC.md "The decision") ---------------------
    def acl_right(person, folder):
        """(right or None, how): values naming the person by address
        decide alone (several: the weakest); else per group identifier the
        weakest value, then the strongest group. A uid never names a
        person: a value such as "user00042 read" names a group called
        user00042 (there is none), so it grants nothing."""
        mine = [r for ident, r, _ in folder["acl"]
                if ident.lower() == person["mail"].lower()]
        if mine:
            return min(mine, key=RIGHTS.index), "person"
        theirs = {}
        for ident, r, _ in folder["acl"]:
            if ident in person["groups"]:
                theirs[ident] = min(theirs.get(ident, r), r,
                                    key=RIGHTS.index)
        if theirs:
            return max(theirs.values(), key=RIGHTS.index), "group"
        return None, None

    def acl_holders(folder):
        """(person, right, how) for every person the folder's ACL gives a
        right (acl_right), in the order they are first named: only people
        named in the ACL or in a group it names can have one; everybody
        else has none."""
        candidates = {}
        for _, _, who in folder["acl"]:
            for q in who.get("members", [who]):
                candidates[q["dn"]] = q
        for p in candidates.values():
            right, how = acl_right(p, folder)
            if right is not None:
                yield p, right, how

    ok_ox, ok_acl_person, ok_acl_group = [], [], []
    deny_ox, deny_acl_none, deny_acl_nothing, deny_disabled = [], [], [], []
    for fa in fa_list:
        member_dns = {p["dn"] for p in fa["members"]}
        for p in fa["members"]:
            (deny_disabled if p["disabled"] else ok_ox).append(
                [p["mail"], fa["mail"]])
        for p in rnd.sample(enabled, 4):
            if p["dn"] not in member_dns:
                deny_ox.append([p["mail"], fa["mail"]])
    for fo in folder_list:
        # everybody but the ACL's holders has no right (checked below on a
        # sample)
        for p, right, how in acl_holders(fo):
            pair = [p["mail"], fo["mail"]]
            if p["disabled"]:
                deny_disabled.append(pair)
            elif RIGHTS.index(right) >= RIGHTS.index(MIN_RIGHT):
                (ok_acl_person if how == "person" else ok_acl_group).append(
                    pair)
            else:
                deny_acl_none.append(pair)
        for p in rnd.sample(enabled, 8):
            if acl_right(p, fo)[0] is None:
                deny_acl_nothing.append([p["mail"], fo["mail"]])

    # --- sending as a functional account (the policy-service row) -------
    # the same rules with SEND_MIN_RIGHT instead of MIN_RIGHT (what
    # functional-policy checks with send_min_right = append); no random
    # draws here, so everything above stays as it was for a seed
    send_ok = {"ox": [], "acl_person": [], "acl_group": []}
    send_deny = {"ox_non_member": deny_ox, "acl_low": [], "acl_none": [],
                 "acl_nothing": deny_acl_nothing, "disabled_person": []}
    # target address -> every person who may send as it
    send_allowed = {}
    targets = []
    for fa in fa_list:
        targets.append({"mail": fa["mail"], "dn": fa["dn"], "kind": "ox"})
        allowed = send_allowed.setdefault(fa["mail"], [])
        for p in fa["members"]:
            pair = [p["mail"], fa["mail"]]
            if p["disabled"]:
                send_deny["disabled_person"].append(pair)
            else:
                send_ok["ox"].append(pair)
                allowed.append(p["mail"])
    for fo in folder_list:
        targets.append({"mail": fo["mail"], "dn": fo["dn"],
                        "kind": "shared_folder"})
        allowed = send_allowed.setdefault(fo["mail"], [])
        for p, right, how in acl_holders(fo):
            pair = [p["mail"], fo["mail"]]
            if p["disabled"]:
                send_deny["disabled_person"].append(pair)
            elif RIGHTS.index(right) >= RIGHTS.index(SEND_MIN_RIGHT):
                send_ok["acl_person" if how == "person" else
                        "acl_group"].append(pair)
                allowed.append(p["mail"])
            elif right == "none":
                send_deny["acl_none"].append(pair)
            else:
                send_deny["acl_low"].append(pair)

    manifest = {
        "base": BASE_DN, "domain": DOMAIN, "hash": hash_scheme,
        "scale": scale, "seed": seed,
        "counts": {"people": n_people, "disabled": n_people - len(enabled),
                   "functional_accounts": n_fas, "shared_folders": n_folders,
                   "groups": n_groups,
                   "acl_values": sum(len(f["acl"]) for f in folder_list)},
        "people": [{"uid": p["uid"], "mail": p["mail"], "dn": p["dn"],
                    "password": p["password"], "disabled": p["disabled"]}
                   for p in persons],
        # functional logins as [person_mail, target_mail]
        "grant": {"ox": ok_ox, "acl_person": ok_acl_person,
                  "acl_group": ok_acl_group},
        "deny": {"ox_non_member": deny_ox, "acl_none": deny_acl_none,
                 "acl_nothing": deny_acl_nothing,
                 "disabled_person": deny_disabled},
        # sending as a target with send_min_right = SEND_MIN_RIGHT:
        # [person_mail, target_mail] pairs (acl_low: a right below it,
        # e.g. read; acl_none: an explicit none), every target's entry,
        # and per target address the people who may send as it
        "send_min_right": SEND_MIN_RIGHT,
        "send": {"grant": send_ok, "deny": send_deny},
        "targets": targets,
        "send_allowed": send_allowed,
    }
    return ldif, manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True, help="LDIF file")
    ap.add_argument("--manifest", help="JSON file: logins and expectations")
    ap.add_argument("--scale", type=int, default=1,
                    help="multiply every count (10: 10 000 people)")
    ap.add_argument("--hash", choices=("ssha", "crypt"), default="ssha")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--people", type=int)
    args = ap.parse_args()
    ldif, manifest = generate(args.scale, args.seed, args.hash, args.people)
    with open(args.output, "w") as f:
        f.write(ldif)
    if args.manifest:
        with open(args.manifest, "w") as f:
            json.dump(manifest, f)
    c = manifest["counts"]
    print("gen-directory: %s: %d people (%d disabled), %d functional "
          "accounts, %d shared folders (%d ACL values), %d groups, %s; "
          "granted pairs ox=%d acl_person=%d acl_group=%d" % (
              args.output, c["people"], c["disabled"],
              c["functional_accounts"], c["shared_folders"], c["acl_values"],
              c["groups"], args.hash.upper(),
              len(manifest["grant"]["ox"]),
              len(manifest["grant"]["acl_person"]),
              len(manifest["grant"]["acl_group"])), file=sys.stderr)


if __name__ == "__main__":
    main()
