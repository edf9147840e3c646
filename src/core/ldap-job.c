/* ldap-job - blocking libldap calls on a thread (see ldap-job.h). */

#define _GNU_SOURCE /* pipe2() */

#include "ldap-job.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct ldap_job {
	pthread_mutex_t lock;
	enum ldap_job_kind kind;
	LDAP *ld;
	int result;
	/* [0] watched by the caller, [1] written by the thread when done */
	int pipe_fds[2];
	/* set under lock */
	bool done, abandoned;
};

static void ldap_job_free(struct ldap_job *job, bool unbind)
{
	if (unbind)
		ldap_unbind_ext(job->ld, NULL, NULL);
	close(job->pipe_fds[0]);
	close(job->pipe_fds[1]);
	pthread_mutex_destroy(&job->lock);
	free(job);
}

static void *ldap_job_thread(void *context)
{
	struct ldap_job *job = context;
	char byte = 0;
	bool abandoned;
	int ret;

	ret = job->kind == LDAP_JOB_CONNECT ? ldap_connect(job->ld) :
		ldap_install_tls(job->ld);
	pthread_mutex_lock(&job->lock);
	job->result = ret;
	job->done = true;
	abandoned = job->abandoned;
	if (!abandoned && write(job->pipe_fds[1], &byte, 1) != 1) {
		/* a pipe of our own with room for one byte: cannot fail */
	}
	pthread_mutex_unlock(&job->lock);
	if (abandoned)
		ldap_job_free(job, true);
	return NULL;
}

struct ldap_job *ldap_job_start(enum ldap_job_kind kind, LDAP *ld, int *fd_r)
{
	struct ldap_job *job = calloc(1, sizeof(*job));
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t thread;
	int ret;

	if (job == NULL)
		abort();
	job->kind = kind;
	job->ld = ld;
	if (pipe2(job->pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(job);
		return NULL;
	}
	pthread_mutex_init(&job->lock, NULL);
	/* the host's signals stay with the host's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&thread, &attr, ldap_job_thread, job);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		ldap_job_free(job, false);
		return NULL;
	}
	*fd_r = job->pipe_fds[0];
	return job;
}

int ldap_job_finish(struct ldap_job **job_p)
{
	struct ldap_job *job = *job_p;
	int result;

	*job_p = NULL;
	pthread_mutex_lock(&job->lock);
	result = job->done ? job->result : LDAP_OTHER;
	pthread_mutex_unlock(&job->lock);
	ldap_job_free(job, false);
	return result;
}

void ldap_job_abandon(struct ldap_job **job_p)
{
	struct ldap_job *job = *job_p;
	bool done;

	if (job == NULL)
		return;
	*job_p = NULL;
	pthread_mutex_lock(&job->lock);
	done = job->done;
	job->abandoned = true;
	pthread_mutex_unlock(&job->lock);
	if (done)
		ldap_job_free(job, true);
}
