#ifndef SETTINGS24_H
#define SETTINGS24_H

/* settings24 - the settings this plugin adds to Dovecot 2.4's config.
   The same definitions are compiled into the settings plugin (for the
   config process and doveconf), the auth module and the mail plugin
   (which read them with settings_get()). */

/* passdb functional { functional_config_file = ... } (and userdb) */
struct functional_auth_settings {
	pool_t pool;
	const char *functional_config_file;
};

/* userdb reply field of a functional session (see session-fields.h),
   read by the functional_session mail plugin */
struct functional_session_settings {
	pool_t pool;
	const char *functional_acl_groups;
};

extern const struct setting_parser_info functional_auth_setting_parser_info;
extern const struct setting_parser_info functional_session_setting_parser_info;

#endif
