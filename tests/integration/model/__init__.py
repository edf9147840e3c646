"""Reference model of the functional-account decision and a generator of
random UCS/OX directories to test the plugin against it (test_model.py).

  ldapdata.py    entries, LDAP matching rules (DNs, caseIgnore), LDIF
  refmodel.py    the decision as the spec states it, on Python data
  gendir.py      seeded directories (entries + LDIF) and login sequences
  authclient.py  pipelined logins over Dovecot's auth-login socket, with
                 the master REQUEST that returns the userdb fields; the
                 slapd that hides the cn of "nameless" groups
  repro.py       shrinks a mismatch (or an auth crash) to a minimal
                 directory / batch of logins
"""
