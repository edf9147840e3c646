/* settings24 - the plugin's Dovecot 2.4 settings (see settings24.h) */

#include "lib.h"
#include "settings.h"
#include "settings-parser.h"

#include "settings24.h"

#undef DEF
#define DEF(type, name) \
	SETTING_DEFINE_STRUCT_##type(#name, name, struct functional_auth_settings)

static const struct setting_define functional_auth_setting_defines[] = {
	{ .type = SET_FILTER_NAME, .key = "passdb_functional", },
	{ .type = SET_FILTER_NAME, .key = "userdb_functional", },
	DEF(STR, functional_config_file),
	SETTING_DEFINE_LIST_END
};

static const struct functional_auth_settings functional_auth_default_settings = {
	.functional_config_file = "",
};

const struct setting_parser_info functional_auth_setting_parser_info = {
	.name = "functional_auth",
	.plugin_dependency = "auth/libauthdb_functional",

	.defines = functional_auth_setting_defines,
	.defaults = &functional_auth_default_settings,

	.struct_size = sizeof(struct functional_auth_settings),
	.pool_offset1 = 1 + offsetof(struct functional_auth_settings, pool),
};

#undef DEF
#define DEF(type, name) \
	SETTING_DEFINE_STRUCT_##type(#name, name, \
				     struct functional_session_settings)

static const struct setting_define functional_session_setting_defines[] = {
	DEF(STR, functional_acl_groups),
	SETTING_DEFINE_LIST_END
};

static const struct functional_session_settings
functional_session_default_settings = {
	.functional_acl_groups = "",
};

const struct setting_parser_info functional_session_setting_parser_info = {
	.name = "functional_session",
	.plugin_dependency = "lib00_functional_session_plugin",

	.defines = functional_session_setting_defines,
	.defaults = &functional_session_default_settings,

	.struct_size = sizeof(struct functional_session_settings),
	.pool_offset1 = 1 + offsetof(struct functional_session_settings, pool),
};
