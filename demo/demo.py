#!/usr/bin/python3
"""demo.py start|stop - a throwaway slapd + dovecot on 127.0.0.1 with the
plugin loaded and the sample directory (tests/integration/fixtures), then
one functional-account login that succeeds and one that is refused, over
real IMAP; then a Postfix (SMTP AUTH through that Dovecot) with the policy
service functional-policy, and alice sending as info@example.com with her
own login while bob is refused. The servers keep running for a mail
client until `stop`. Files: /tmp/functional-auth-demo (override with
FA_DEMO_DIR)."""

import imaplib
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import harness  # noqa: E402
import postfix  # noqa: E402

DEMO_DIR = os.environ.get("FA_DEMO_DIR", "/tmp/functional-auth-demo")


def stop():
    stopped = 0
    postfix_conf = os.path.join(DEMO_DIR, "postfix", "etc")
    if os.path.isdir(postfix_conf):
        r = subprocess.run(["postfix", "-c", postfix_conf, "stop"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        stopped += r.returncode == 0
    for name in ("policy", "dovecot", "slapd"):
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


def smtp_try(port, login, password, sender):
    print("\n$ SMTP AUTH PLAIN %s (password: %s), MAIL FROM:<%s>, "
          "RCPT TO:<customer@example.org>" % (login, password, sender))
    res = postfix.smtp_send_as(port, login, password, sender,
                               recipients=("customer@example.org",))
    print("  AUTH %d %s" % res.auth)
    if res.mail is not None:
        print("  MAIL %d %s" % res.mail)
    if res.rcpt is not None:
        print("  RCPT %d %s" % res.rcpt)
    if res.data is not None:
        print("  DATA %d %s" % res.data)
    return res.data is not None and res.data[0] == 250


def start_postfix(dovecot, auth_port):
    """functional-policy and a Postfix whose SMTP AUTH goes through the
    demo's Dovecot, with README's sender restrictions"""
    policy = postfix.PolicyDaemon(
        open(dovecot.plugin_conf_path).read(),
        tmpdir=os.path.join(DEMO_DIR, "policy"))
    smtp_port = 10025 if not harness._listening(10025) else None
    mta = postfix.Postfix(
        auth_port, policy="unix:" + policy.socket_path,
        sender_logins={"alice@example.com": "alice@example.com",
                       "bob@example.com": "bob@example.com"},
        tmpdir=os.path.join(DEMO_DIR, "postfix"), port=smtp_port)
    return policy, mta


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
    auth_port = harness.free_port()
    dovecot = harness.Dovecot(tmpdir=os.path.join(DEMO_DIR, "dovecot"),
                              ldap_uri=slapd.uri, auth_verbose=True,
                              imap_port=ports[0], pop3_port=ports[1],
                              extra_conf=postfix.dovecot_auth_inet_conf(
                                  auth_port))
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

    policy, mta = start_postfix(dovecot, auth_port)
    print("\nSending as the account: Postfix on smtp://127.0.0.1:%d asks "
          "functional-policy (%s)" % (mta.port, policy.socket_path))
    sent = smtp_try(mta.port, "alice@example.com", "alice-secret",
                    "info@example.com")
    send_refused = not smtp_try(mta.port, "bob@example.com", "bob-secret",
                                "info@example.com")
    print("\nWhat functional-policy logged:")
    for line in harness.wait_log(
            policy, 0, lambda t: t.count("send-as ") >= 2,
            10).splitlines():
        if "send-as " in line:
            print("  " + line)
    for server in (slapd, dovecot, policy, mta):
        server.detach()

    print("""
Connect a mail client (no TLS, plain password) to 127.0.0.1 port %d:
  alice@example.com/info@example.com   alice-secret  -> the info mailbox
  alice@example.com*info@example.com   alice-secret  -> the same
  carol@example.com/helpdesk@example.com carol-secret -> shared folder, read
  bob@example.com/info@example.com     bob-secret    -> refused
  alice@example.com                    alice-secret  -> alice's own mailbox
SMTP (no TLS, AUTH PLAIN with your own login) on 127.0.0.1 port %d: as
  alice@example.com (alice-secret), send from info@example.com -> accepted
  bob@example.com (bob-secret), send from info@example.com     -> refused
  (mail is accepted and discarded: this Postfix delivers nothing)
Logs: %s
      %s
Explain a decision:
  functional-auth-explain -c %s bob@example.com info@example.com
  functional-auth-explain -c %s --send-as bob@example.com info@example.com
Stop:   ./demo.sh stop""" % (dovecot.imap_port, mta.port, dovecot.log_path,
                           policy.log_path, dovecot.plugin_conf_path,
                           dovecot.plugin_conf_path))
    if not (granted and refused and sent and send_refused):
        print("\ndemo: UNEXPECTED RESULT (IMAP: granted=%s refused=%s; "
              "SMTP: sent=%s refused=%s)" %
              (granted, refused, sent, send_refused))
        return 1
    print("\ndemo: OK - alice opened info@example.com, bob was refused; "
          "alice sent as info@example.com, bob was refused")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "stop":
        stop()
    elif len(sys.argv) == 1 or sys.argv[1:] == ["start"]:
        sys.exit(start())
    else:
        sys.exit("usage: demo.py [start|stop]")
