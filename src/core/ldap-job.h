#ifndef LDAP_JOB_H
#define LDAP_JOB_H

/* ldap-job - run one blocking libldap call on a thread of its own, so the
   host's event loop never waits for it: ldap_connect() (the host-name
   lookup, the TCP connect and, for ldaps://, the TLS handshake) and
   ldap_install_tls() (StartTLS's handshake). libldap cannot hand these to
   an event loop. While a job runs, nobody else touches its LDAP handle.
   The thread only calls libldap and writes one byte to a pipe: no
   logging, no allocation from the host. */

#include <ldap.h>
#include <stdbool.h>

struct ldap_job;

enum ldap_job_kind {
	LDAP_JOB_CONNECT,
	LDAP_JOB_INSTALL_TLS,
};

/* ldap_job_start - start kind on ld; NULL if no thread could be made.
   *fd_r becomes readable once the call has returned. */
struct ldap_job *ldap_job_start(enum ldap_job_kind kind, LDAP *ld,
				int *fd_r);
/* ldap_job_finish - the result code of a job whose fd became readable;
   frees the job (ld is the caller's again) */
int ldap_job_finish(struct ldap_job **job_p);
/* ldap_job_abandon - give up on the job and on its ld: whoever of the
   caller and the thread comes last unbinds ld and frees the job */
void ldap_job_abandon(struct ldap_job **job_p);

#endif
