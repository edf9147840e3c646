"""Logins as a Dovecot login process does them, for test_model.py.

run_logins(dovecot, requests) sends pipelined AUTH PLAIN lines (harness's
_auth_line: no-penalty, rip=...) over the auth-login socket (base_dir/
auth-login), then, for every OK, the master REQUEST over base_dir/
auth-master, which runs the userdb step as imap would after login. The
answer of each request is a Result: the AUTH reply (harness.AuthReply)
and, for a success, the userdb fields (dict) or the userdb failure line.
The granted right is read from the userdb field acl_groups
(functional-<right>), which holds on auth-cache hits too.

Also ModelSlapd: harness.Slapd whose slapd.conf additionally hides the
cn of the entries below a base from everyone (groups "without a name").
"""

import itertools
import os
import random
import socket
from collections import namedtuple

import harness

Result = namedtuple("Result", "reply userdb userdb_raw")


class _Lines:
    """A unix socket speaking a tab/line protocol."""

    def __init__(self, path, timeout, hello):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.buf = b""
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
            self.sock.sendall(hello.encode())
        except BaseException:
            self.sock.close()
            raise

    def readline(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("auth server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def send(self, text):
        self.sock.sendall(text.encode())

    def close(self):
        self.sock.close()


_cpids = itertools.count(random.randint(1 << 20, 1 << 30))


def _auth_phase(conn, requests):
    """AUTH every request on the auth-login connection: (cookie, replies
    in request order). The connection must stay open until the master
    REQUESTs are answered: Dovecot forgets a closed client's requests."""
    cookie = None
    while True:
        line = conn.readline()
        if line.startswith("COOKIE\t"):
            cookie = line.split("\t")[1]
        if line == "DONE":
            break
    conn.send("".join(harness._auth_line(i, **req)
                      for i, req in enumerate(requests, 1)))
    replies = {}
    while len(replies) < len(requests):
        line = conn.readline()
        cmd, _, rest = line.partition("\t")
        if cmd in ("OK", "FAIL", "CONT"):
            replies[int(rest.split("\t", 1)[0])] = harness._parse_reply(line)
    return cookie, [replies[i] for i in range(1, len(requests) + 1)]


def _master_phase(base_dir, cpid, cookie, ids, timeout):
    """REQUEST each auth id over auth-master: {id: (fields or None, raw)}."""
    if not ids:
        return {}
    conn = _Lines(os.path.join(base_dir, "auth-master"), timeout,
                  "VERSION\t1\t0\n" + "".join(
                      "REQUEST\t%d\t%d\t%d\t%s\n" % (i, cpid, i, cookie)
                      for i in ids))
    try:
        out = {}
        while len(out) < len(ids):
            line = conn.readline()
            parts = line.split("\t")
            if parts[0] == "USER":
                fields = dict(p.partition("=")[::2] for p in parts[3:])
                fields["user"] = parts[2]
                out[int(parts[1])] = (fields, line)
            elif parts[0] in ("NOTFOUND", "FAIL"):
                out[int(parts[1])] = (None, line)
        return out
    finally:
        conn.close()


def run_logins(dovecot, requests, timeout=60):
    """Results of pipelined logins; see the module docstring."""
    cpid = next(_cpids)
    conn = _Lines(os.path.join(dovecot.base_dir, "auth-login"), timeout,
                  "VERSION\t1\t2\nCPID\t%d\n" % cpid)
    try:
        cookie, replies = _auth_phase(conn, requests)
        ok_ids = [i for i, r in enumerate(replies, 1) if r.ok]
        userdb = _master_phase(dovecot.base_dir, cpid, cookie, ok_ids,
                               timeout)
    finally:
        conn.close()
    return [Result(r, *userdb.get(i, (None, None)))
            for i, r in enumerate(replies, 1)]


def granted_right(result, prefix="functional-"):
    """The right the userdb reply gives the session (acl_groups, or
    functional_acl_groups, = functional-<right>), or None."""
    fields = result.userdb or {}
    for name in ("acl_groups", "functional_acl_groups"):
        for g in fields.get(name, "").split(","):
            if g.startswith(prefix):
                return g[len(prefix):]
    return None


class ModelSlapd(harness.Slapd):
    """harness.Slapd plus `access to dn.children=<hidden_base> attrs=cn
    by * none` ahead of the harness's rules."""

    def __init__(self, hidden_base, **kw):
        self.hidden_base = hidden_base
        super().__init__(**kw)

    def _write_conf(self, schema_files):
        super()._write_conf(schema_files)
        with open(self.conf_path) as f:
            conf = f.read()
        rule = ('access to dn.children="%s" attrs=cn\n\tby * none\n'
                % self.hidden_base)
        marker = "access to attrs=userPassword"
        if marker not in conf:
            raise RuntimeError("harness slapd.conf changed: no %r" % marker)
        with open(self.conf_path, "w") as f:
            f.write(conf.replace(marker, rule + marker, 1))
