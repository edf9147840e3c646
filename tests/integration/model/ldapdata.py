"""Directory entries as Python data, the LDAP matching rules the model
needs, and LDIF output for slapadd.

An Entry is a DN plus an ordered list of (attribute description, value)
pairs, the way slapd stores it: `uid;lang-de` is a description with the
option `lang-de` of the attribute `uid`. `hidden` names attributes the
service account may not read (slapd ACL), so the model can look at the
directory exactly as the plugin sees it (Entry.visible()).

Matching follows the schema of the test directory:
  caseIgnoreMatch (uid, mailPrimaryAddress, cn, univentionObjectFlag):
      insignificant spaces removed, runs collapsed, case folded
  caseExactIA5Match (memberUid): spaces as above, case kept
  distinguishedNameMatch / uniqueMemberMatch: dn_key() below
Only values the generator produces need to be handled: no BER (#...)
values, no attribute type aliases or OIDs, no `;` RDN separators.
"""

import base64


def norm_ignore(value):
    """caseIgnoreMatch's normal form (for the generator's alphabet,
    whose letters have a simple one-to-one case mapping)."""
    return " ".join(value.split()).lower()


def norm_exact(value):
    """caseExactIA5Match's normal form."""
    return " ".join(value.split())


def base_name(description):
    """`uid;lang-de` -> `uid` (lower case)."""
    return description.split(";", 1)[0].lower()


class Entry:
    """One directory entry; see the module docstring."""

    def __init__(self, dn, attrs, hidden=()):
        self.dn = dn
        self.attrs = list(attrs)
        self.hidden = {h.lower() for h in hidden}

    def __repr__(self):
        return "Entry(%r)" % self.dn

    def values(self, attr):
        """Every value of `attr`, its option-tagged subtypes included
        (what an LDAP filter on `attr` looks at)."""
        attr = attr.lower()
        return [v for d, v in self.attrs if base_name(d) == attr]

    def plain(self, attr):
        """Values of exactly `attr`, without options."""
        attr = attr.lower()
        return [v for d, v in self.attrs if d.lower() == attr]

    def first(self, attr):
        vals = self.plain(attr)
        return vals[0] if vals else None

    def has_class(self, oc):
        return oc.lower() in {v.lower() for v in self.values("objectClass")}

    def visible(self):
        """The entry as the service account reads it."""
        return Entry(self.dn, [(d, v) for d, v in self.attrs
                               if base_name(d) not in self.hidden])

    def ldif(self):
        lines = [ldif_line("dn", self.dn)]
        lines += [ldif_line(d, v) for d, v in self.attrs]
        return "\n".join(lines) + "\n"


def _safe(value):
    return (value == "" or
            (all(0x20 < ord(c) < 0x7f or c == " " for c in value)
             and value[0] not in " :<" and value[-1] != " "))


def ldif_line(description, value):
    if _safe(value):
        return "%s: %s" % (description, value)
    return "%s:: %s" % (description,
                        base64.b64encode(value.encode()).decode())


def write_ldif(entries, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(e.ldif() for e in entries))


# --- distinguished names -----------------------------------------------------

def _split_unescaped(text, seps):
    """Split at unescaped characters of `seps`; keeps escapes."""
    parts, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c in seps:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(text):
    """RFC 4514 escapes: \\XX hex pairs (UTF-8 bytes) and \\<char>."""
    out, i = bytearray(), 0
    hexdigits = "0123456789abcdefABCDEF"
    while i < len(text):
        c = text[i]
        pair = text[i + 1:i + 3]
        if c == "\\" and len(pair) == 2 and all(h in hexdigits for h in pair):
            out.append(int(pair, 16))
            i += 3
        elif c == "\\" and i + 1 < len(text):
            out += text[i + 1].encode()
            i += 2
        else:
            out += c.encode()
            i += 1
    return out.decode("utf-8", "replace")


def _ava_key(ava):
    attr, _, value = ava.partition("=")
    return (attr.strip().lower(), norm_ignore(_unescape(value)))


def dn_key(dn):
    """A comparable form of a DN under LDAP's rules: attribute types
    case-insensitive, values caseIgnore (Unicode case, spaces around
    `=`, `,` and `+` insignificant), multi-valued RDNs unordered."""
    rdns = _split_unescaped(dn.strip(), ",")
    return tuple(tuple(sorted(_ava_key(a) for a in
                              _split_unescaped(rdn, "+")))
                 for rdn in rdns if rdn.strip())


def dn_equal(a, b):
    return dn_key(a) == dn_key(b)


def escape_dn_value(value):
    """RFC 4514 escaping of one RDN value (the generator's names)."""
    out = []
    for i, c in enumerate(value):
        if c in ',+"\\<>;=' or (c == "#" and i == 0):
            out.append("\\" + c)
        elif c == " " and (i == 0 or i == len(value) - 1):
            out.append("\\ ")
        else:
            out.append(c)
    return "".join(out)
