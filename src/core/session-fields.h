#ifndef SESSION_FIELDS_H
#define SESSION_FIELDS_H

/* session-fields - what a session opened through this plugin gets from
   the userdb, for either Dovecot dialect: one policy, so Dovecot 2.3 and
   2.4 sessions see the same mailbox, identity and right.

   The passdb hands its grant to the userdb in one field (the grant
   field), whose value is "<right> <quota MB or -> <target>": with the
   auth cache on, Dovecot replays every passdb field on each hit, and the
   userdb derives every session field from this one without a lookup. */

#include "acl-right.h"

struct arena;
struct fa_settings;

/* userdb field carrying the grant from our passdb to our userdb; the
   userdb removes it before the session sees the reply */
#define SESSION_FIELD_GRANT "functional_grant"
/* userdb field of a functional session: the ACL group of its right, for
   the functional_session mail plugin */
#define SESSION_FIELD_ACL_GROUPS "functional_acl_groups"

enum session_dialect {
	/* mail=, quota_rule=, acl=, mail_plugins+= */
	SESSION_DIALECT_DOVECOT23,
	/* mail_driver=/mail_path=, quota_storage_size=, acl_driver=/
	   acl_global_path=, acl_user= (2.4.1 loses master_user on the mail
	   side: without acl_user the owner would be the ACL user); no mail
	   plugins (the site's mail_plugins must hold them) */
	SESSION_DIALECT_DOVECOT24,
};

struct session_grant {
	enum acl_right right;
	/* NULL: no quota */
	const char *quota_mb;
	const char *target;
};

/* session_grant_format - the grant field's value */
const char *session_grant_format(struct arena *arena,
				 const struct session_grant *grant);
/* session_grant_parse - the grant in value, which must name user as its
   target and a right that opens something. -1 with error_r if malformed
   or foreign. Strings point into value or arena. */
int session_grant_parse(struct arena *arena, const char *value,
			const char *user, struct session_grant *grant_r,
			const char **error_r);

/* the mailbox a userdb reply describes, and who opens it */
struct session_identity {
	/* the mailbox (the account) */
	const char *user;
	/* uid/gid as the userdb should send them ("" to leave out) */
	const char *uid, *gid;
	const char *quota_mb;
	/* a person acting as the account with a right: NULL for a lookup
	   no passdb authorised (LMTP, doveadm user), which is the account
	   itself and gets the mailbox fields only */
	const char *person;
	enum acl_right right;
};

typedef void session_field_emit_t(void *context, const char *key,
				  const char *value);

/* session_fields - emit every userdb field of identity in dialect: home,
   mail location, uid, gid, quota; for a person's session also the ACL
   group of the right and the site's session_acl / session_mail_plugins
   as that dialect spells them. -1 with error_r if a template does not
   expand (the session must then fail, not open without its fields). */
int session_fields(const struct fa_settings *set, enum session_dialect dialect,
		   struct arena *arena, const struct session_identity *identity,
		   session_field_emit_t *emit, void *context,
		   const char **error_r);

/* session_settings_check - settings that dialect cannot express (2.4
   spells a mail location as driver and path); -1 with error_r */
int session_settings_check(const struct fa_settings *set,
			   enum session_dialect dialect, const char **error_r);

#endif
