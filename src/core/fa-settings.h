#ifndef FA_SETTINGS_H
#define FA_SETTINGS_H

/* fa-settings - the plugin's own config file (key = value, # comments).
   Input: a path (or text, for tests). Output: validated settings with
   UCS defaults, or "file:line: reason". Knows nothing of Dovecot. */

#include "arena.h"
#include "acl-right.h"
#include "login-split.h"

#include <stdbool.h>

enum fa_tls_require_cert {
	FA_TLS_REQUIRE_NEVER,
	FA_TLS_REQUIRE_ALLOW,
	FA_TLS_REQUIRE_TRY,
	FA_TLS_REQUIRE_DEMAND,
};

struct fa_settings {
	/* owns every string below */
	struct arena arena;
	/* file the settings came from, for messages */
	const char *path;

	/* space-separated LDAP URIs, tried in order (failover) */
	const char *ldap_uris;
	/* service account for searches; empty: anonymous */
	const char *ldap_bind_dn;
	/* its password, inline or read from ldap_bind_password_file */
	const char *ldap_bind_password;
	const char *ldap_bind_password_file;
	const char *ldap_base;
	bool ldap_starttls;
	const char *ldap_tls_ca_file;
	const char *ldap_tls_ca_dir;
	enum fa_tls_require_cert ldap_tls_require_cert;
	/* seconds for connect, each bind and each search */
	unsigned int ldap_timeout;
	/* connections for searches (pipelined) */
	unsigned int ldap_connections;
	/* connections for person binds (one bind in flight each) */
	unsigned int ldap_bind_connections;
	/* seconds search results (people, accounts, groups; never binds)
	   are reused; 0: off */
	unsigned int lookup_cache_ttl;

	/* where people are, how they are found (%u/%n/%d = typed login) */
	const char *person_base;
	const char *person_filter;
	/* entries also matching this are disabled people; empty: none */
	const char *person_disabled_filter;
	/* attribute naming the person in logs and as master_user */
	const char *person_name_attribute;
	const char *person_uid_attribute;
	/* shadowExpire-style day count; a past day disables; empty: off */
	const char *person_expire_attribute;

	/* where functional accounts are and how they are found */
	const char *target_base;
	const char *target_filter;
	/* attribute giving the mailbox name the session runs as */
	const char *target_name_attribute;
	/* DNs of people (or groups of them) with full access; empty: off */
	const char *member_attribute;
	/* "<identifier> <right>" values; empty: off */
	const char *acl_attribute;
	/* space-separated attributes holding a quota in MB, first wins */
	const char *quota_attributes;
	/* weakest right that lets a person log in */
	enum acl_right min_right;
	/* weakest right that lets a person send as the account (the policy
	   service; SMTP logins as the account, if smtp_functional_logins) */
	enum acl_right send_min_right;

	/* how groups are found: %{dn} person DN, %{uid} person uid */
	const char *group_base;
	const char *group_filter;
	const char *group_name_attribute;
	/* attribute on people listing their groups' DNs; empty: off */
	const char *person_memberof_attribute;
	/* depth to which groups inside member_attribute are expanded */
	unsigned int group_nesting_depth;

	/* login parsing */
	const char *separators;
	enum login_order login_order;
	/* also authenticate logins without separator */
	bool plain_logins;
	/* space-separated auth services (Dovecot's "service", 2.4's
	   "protocol") whose logins are for sending mail: Postfix's smtp,
	   Dovecot's submission */
	const char *smtp_services;
	/* accept composite and authzid logins for smtp_services (then with
	   at least send_min_right as well as min_right)? no: refused, so that
	   Postfix's sasl_username is always the person */
	bool smtp_functional_logins;
	/* characters that start an address extension (Postfix's
	   recipient_delimiter): send-as decides on info+tag@ as on info@;
	   empty: extensions are not stripped */
	const char *recipient_delimiter;

	/* userdb templates: %u/%n/%d = the target's mailbox name */
	const char *userdb_home;
	const char *userdb_mail;
	const char *userdb_uid;
	const char *userdb_gid;

	/* enforcing the granted right inside the session, through Dovecot's
	   ACL plugin: the session's "acl" setting (empty: leave as is) */
	const char *session_acl;
	/* the session's acl_groups is this prefix plus the right's name */
	const char *session_acl_group_prefix;
	/* mail plugins added to the site's mail_plugins in functional
	   sessions (empty: none); acl and functional_session keep the right
	   enforced and the session confined even where the site's
	   mail_plugins lack them */
	const char *session_mail_plugins;
};

/* fa_settings_read - read and validate path. On error returns -1 with
   error_r "path:line: reason" (allocated from the settings' arena of a
   settings struct that is then freed; the string stays valid until the
   next call). */
int fa_settings_read(const char *path, struct fa_settings **set_r,
		     const char **error_r);
/* fa_settings_parse - the same for text already in memory */
int fa_settings_parse(const char *name, const char *text, size_t size,
		      struct fa_settings **set_r, const char **error_r);
void fa_settings_free(struct fa_settings **set_p);

/* fa_settings_smtp_service - is service (as Dovecot names it) one of
   smtp_services? */
bool fa_settings_smtp_service(const struct fa_settings *set,
			      const char *service);

/* fa_settings_split - the login_split settings of these settings */
void fa_settings_login_split(const struct fa_settings *set,
			     struct login_split_settings *split_r);

#endif
