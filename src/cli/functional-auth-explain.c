/* functional-auth-explain - why may (or may not) a person open a
   functional account? Reads the same config file as the Dovecot module
   and runs the same lookup and decision, without a password: the bind is
   skipped and the output says so. Prints every check, the entries used
   and the deciding rule. With --send-as it explains the Postfix policy
   service's answer instead: may the SMTP login send as the sender?
   Exit status: 0 granted (OK), 1 denied (REJECT), 2 directory trouble
   (451), 3 not a functional account (DUNNO, --send-as only), 64 usage or
   config error. */

#include "fa-settings.h"
#include "fa-lookup.h"
#include "login-split.h"
#include "poll-loop.h"
#include "policy-request.h"
#include "acl-right.h"
#include "arena.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/dovecot/functional-accounts.conf"

struct explain_state {
	bool done;
	int exit_code;
	/* --send-as: the sender, for the policy answer */
	const char *sender;
};

static const struct option explain_options[] = {
	{ "send-as", no_argument, NULL, 'S' },
	{ "check-config", no_argument, NULL, 'C' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: functional-auth-explain [-c CONFIG] PERSON TARGET\n"
		"       functional-auth-explain [-c CONFIG] LOGIN\n"
		"       functional-auth-explain [-c CONFIG] --send-as LOGIN SENDER\n"
		"       functional-auth-explain [-c CONFIG] --check-config\n"
		"Explains whether PERSON may open TARGET (or how the composite\n"
		"LOGIN is split), or whether the SMTP login LOGIN may send as\n"
		"SENDER (functional-policy's answer), using " DEFAULT_CONFIG "\n"
		"unless -c is given. No password is used: the bind is skipped.\n");
	exit(64);
}

/* explain_policy_answer - what functional-policy answers Postfix */
static void explain_policy_answer(const struct explain_state *state,
				  enum fa_status status)
{
	struct policy_request request = { .sender = state->sender };
	struct arena arena;
	const char *answer;

	arena_init(&arena, 256);
	answer = policy_answer(&arena, &request, status);
	printf("policy answer: %.*s\n", (int)strcspn(answer, "\n"), answer);
	arena_free(&arena);
}

static void explain_granted(const struct explain_state *state,
			    const struct fa_result *result)
{
	if (state->sender != NULL) {
		printf("SEND-AS GRANTED by %s, right %s (send_min_right is "
		       "met)\n", result->decision.rule,
		       acl_right_name(result->decision.right));
	} else if (result->decision.rule == NULL) {
		/* an ordinary login (plain_logins): no account, no rule */
		printf("GRANTED as an ordinary login of %s, provided the "
		       "password bind succeeds\n", result->person_name);
	} else {
		printf("GRANTED by %s, right %s (IMAP rights %s), provided "
		       "the password bind succeeds\n", result->decision.rule,
		       acl_right_name(result->decision.right),
		       acl_right_imap_rights(result->decision.right));
	}
}

static void explain_callback(const struct fa_result *result, void *context)
{
	struct explain_state *state = context;
	bool send_as = state->sender != NULL;
	unsigned int i;

	for (i = 0; i < result->trace_count; i++)
		printf("  %s\n", result->trace[i]);
	if (result->person_name != NULL)
		printf("person:  %s (%s)\n", result->person_name,
		       result->person_dn);
	if (result->target_name != NULL)
		printf("target:  %s (%s)%s%s%s\n", result->target_name,
		       result->target_dn,
		       result->quota_mb != NULL ? ", quota " : "",
		       result->quota_mb != NULL ? result->quota_mb : "",
		       result->quota_mb != NULL ? " MB" : "");
	if (result->status == FA_GRANTED) {
		explain_granted(state, result);
		state->exit_code = 0;
	} else if (result->status == FA_UNKNOWN_TARGET && send_as) {
		printf("NOT A FUNCTIONAL ACCOUNT: %s; the site's own sender "
		       "checks decide\n", result->reason);
		state->exit_code = 3;
	} else if (result->status == FA_TEMPFAIL) {
		printf("TEMPORARY FAILURE: %s\n", result->reason);
		state->exit_code = 2;
	} else {
		printf("%sDENIED: %s\n", send_as ? "SEND-AS " : "",
		       result->reason);
		state->exit_code = 1;
	}
	if (send_as)
		explain_policy_answer(state, result->status);
	state->done = true;
}

int main(int argc, char *argv[])
{
	const char *config = DEFAULT_CONFIG, *error;
	struct explain_state state = { .done = false, .exit_code = 2 };
	bool send_as = false, check_config = false;
	struct login_split_settings split_set;
	struct fa_lookup_request request;
	struct login_parts parts;
	struct fa_settings *set;
	struct poll_loop *loop;
	struct fa_context *ctx;
	struct arena arena;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", explain_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'S':
			send_as = true;
			break;
		case 'C':
			check_config = true;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (check_config ? (argc != 0 || send_as) :
	    send_as ? argc != 2 : (argc < 1 || argc > 2))
		usage();
	if (fa_settings_read(config, &set, &error) < 0) {
		fprintf(stderr, "config error: %s\n", error);
		return 64;
	}
	if (check_config) {
		printf("%s: OK\n", config);
		fa_settings_free(&set);
		return 0;
	}

	arena_init(&arena, 1024);
	memset(&request, 0, sizeof(request));
	request.want_trace = true;
	if (send_as) {
		request.person = argv[0];
		state.sender = argv[1];
	} else if (argc == 2) {
		request.person = argv[0];
		request.target = argv[1];
		if (login_part_check(argv[0], strlen(argv[0]), &error) < 0 ||
		    login_part_check(argv[1], strlen(argv[1]), &error) < 0) {
			printf("DENIED: rejected login part: %s\n", error);
			return 1;
		}
	} else {
		fa_settings_login_split(set, &split_set);
		switch (login_split(argv[0], &split_set, &arena, &parts,
				    &error)) {
		case LOGIN_SPLIT_INVALID:
			printf("DENIED: rejected login: %s\n", error);
			return 1;
		case LOGIN_SPLIT_NONE:
			printf("not a functional-account login (no separator "
			       "of \"%s\"): %s\n", set->separators,
			       set->plain_logins ?
			       "authenticated as an ordinary login" :
			       "left to the next passdb");
			if (!set->plain_logins)
				return 1;
			request.person = argv[0];
			break;
		case LOGIN_SPLIT_OK:
			printf("login split at '%c': person \"%s\", target "
			       "\"%s\"\n", parts.separator, parts.person,
			       parts.target);
			request.person = parts.person;
			request.target = parts.target;
			break;
		}
	}

	loop = poll_loop_new(FA_LOG_WARNING);
	ctx = fa_context_init(set, poll_loop_fa(loop));
	printf("checking with %s (password bind skipped: no password)\n",
	       config);
	if (send_as)
		(void)fa_lookup_send_as(ctx, request.person, state.sender, true,
					explain_callback, &state);
	else
		(void)fa_lookup_explain(ctx, &request, explain_callback,
					&state);
	poll_loop_run(loop, &state.done);
	fa_context_deinit(&ctx);
	poll_loop_free(&loop);
	fa_settings_free(&set);
	arena_free(&arena);
	return state.exit_code;
}
