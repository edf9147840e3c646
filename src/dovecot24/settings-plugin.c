/* settings-plugin - libfunctional_settings.so, loaded by Dovecot 2.4's
   config process from $moduledir/settings: it declares the plugin's
   settings so that doveconf accepts them (see settings24.h). */

#include "lib.h"
#include "settings-parser.h"

#include "settings24.h"

extern const struct setting_parser_info *functional_settings_set_infos[];
extern const char *functional_settings_version;

const struct setting_parser_info *functional_settings_set_infos[] = {
	&functional_auth_setting_parser_info,
	&functional_session_setting_parser_info,
	NULL
};
const char *functional_settings_version = DOVECOT_ABI_VERSION;
