#!/usr/bin/python3
"""demo.py start|stop - a throwaway slapd + dovecot on 127.0.0.1 with the
plugin loaded and the sample directory (tests/integration/fixtures), then
one functional-account login that succeeds and one that is refused, over
real IMAP. The servers keep running for a mail client until `stop`.
Files: /tmp/functional-auth-demo (override with FA_DEMO_DIR)."""

import imaplib
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import harness  # noqa: E402

DEMO_DIR = os.environ.get("FA_DEMO_DIR", "/tmp/functional-auth-demo")


def stop():
    stopped = 0
    for name in ("dovecot", "slapd"):
        pid_file = os.path.join(DEMO_DIR, name, "pid")
        try:
            with open(pid_file) as f:
                pid = int(f.read())
            os.killpg(pid, signal.SIGTERM)
            stopped += 1
        except (OSError, ValueError):
            pass
    time.sleep(1)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    print("demo stopped (%d server%s), %s removed" %
          (stopped, "" if stopped == 1 else "s", DEMO_DIR))


def imap_try(port, user, password):
    print("\n$ IMAP LOGIN %s (password: %s)" % (user, password))
    try:
        conn = harness.imap_login(port, user, password)
    except imaplib.IMAP4.error as e:
        print("  refused: %s" % e)
        return False
    typ, data = conn.select("INBOX", readonly=True)
    print("  logged in; SELECT INBOX: %s message(s)" % data[0].decode())
    typ, data = conn.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    if typ == "OK" and data and isinstance(data[0], tuple):
        print("  first message: %s" % data[0][1].decode().strip())
    conn.logout()
    return True


def start():
    if os.path.exists(DEMO_DIR):
        stop()
    os.makedirs(DEMO_DIR)
    if not os.path.exists(harness.MODULE_PATH):
        sys.exit("demo: %s is not installed (run ./demo.sh)" %
                 harness.MODULE_PATH)
    slapd = harness.Slapd(tmpdir=os.path.join(DEMO_DIR, "slapd"))
    # fixed ports when free, so a mail client set up once keeps working
    ports = [p if not harness._listening(p) else None for p in (10143, 10110)]
    dovecot = harness.Dovecot(tmpdir=os.path.join(DEMO_DIR, "dovecot"),
                              ldap_uri=slapd.uri, auth_verbose=True,
                              imap_port=ports[0], pop3_port=ports[1])
    dovecot.deliver("info@example.com",
                    "From: customer@example.org\r\nTo: info@example.com\r\n"
                    "Subject: Welcome to the info team mailbox\r\n\r\n"
                    "Hello from the functional-account demo.\r\n")
    print("slapd   %s  (directory: tests/integration/fixtures/"
          "directory.ldif)" % slapd.uri)
    print("dovecot imap://127.0.0.1:%d  pop3://127.0.0.1:%d" %
          (dovecot.imap_port, dovecot.pop3_port))

    granted = imap_try(dovecot.imap_port, "alice@example.com/info@example.com",
                       "alice-secret")
    refused = not imap_try(dovecot.imap_port,
                           "bob@example.com/info@example.com", "bob-secret")
    time.sleep(0.5)
    print("\nWhat the auth process logged:")
    for line in dovecot.log_text().splitlines():
        if "functional" in line and ("granted" in line or "denied" in line):
            print("  " + line)
    slapd.detach()
    dovecot.detach()

    print("""
Connect a mail client (no TLS, plain password) to 127.0.0.1 port %d:
  alice@example.com/info@example.com   alice-secret  -> the info mailbox
  alice@example.com*info@example.com   alice-secret  -> the same
  carol@example.com/helpdesk@example.com carol-secret -> shared folder, read
  bob@example.com/info@example.com     bob-secret    -> refused
  alice@example.com                    alice-secret  -> alice's own mailbox
Log: %s
Explain a decision:
  functional-auth-explain -c %s bob@example.com info@example.com
Stop:   ./demo.sh stop""" % (dovecot.imap_port, dovecot.log_path,
                           dovecot.plugin_conf_path))
    if not (granted and refused):
        print("\ndemo: UNEXPECTED RESULT (granted=%s refused=%s)" %
              (granted, refused))
        return 1
    print("\ndemo: OK - alice opened info@example.com, bob was refused")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "stop":
        stop()
    elif len(sys.argv) == 1 or sys.argv[1:] == ["start"]:
        sys.exit(start())
    else:
        sys.exit("usage: demo.py [start|stop]")
