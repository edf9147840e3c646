/* fa-settings - read and validate the plugin's config file.

   Input: "key = value" lines; '#' starts a comment outside quotes; a value
   may be "quoted". Output: struct fa_settings with UCS defaults. Errors:
   unknown key, repeated key, bad value, missing required key, unreadable
   or over-permissive password file; each reported as "file:line: reason"
   so Dovecot can refuse to start with it. */

#include "fa-settings.h"
#include "ldap-filter.h"
#include "var-template.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FA_SETTINGS_MAX_FILE_SIZE (256 * 1024)
#define FA_SETTINGS_MAX_LINE 4096

enum fa_setting_type {
	FA_SET_STR,
	FA_SET_BOOL,
	FA_SET_UINT,
	FA_SET_RIGHT,
	FA_SET_ORDER,
	FA_SET_TLS_REQUIRE,
};

struct fa_setting_def {
	const char *key;
	enum fa_setting_type type;
	size_t offset;
	const char *default_value;
	unsigned int min, max;
};

#define DEF(type, name, def) \
	{ #name, type, offsetof(struct fa_settings, name), def, 0, 0 }
#define DEF_UINT(name, def, min, max) \
	{ #name, FA_SET_UINT, offsetof(struct fa_settings, name), def, min, max }

static const struct fa_setting_def fa_setting_defs[] = {
	DEF(FA_SET_STR, ldap_uris, NULL),
	DEF(FA_SET_STR, ldap_bind_dn, ""),
	DEF(FA_SET_STR, ldap_bind_password, ""),
	DEF(FA_SET_STR, ldap_bind_password_file, ""),
	DEF(FA_SET_STR, ldap_base, NULL),
	DEF(FA_SET_BOOL, ldap_starttls, "no"),
	DEF(FA_SET_STR, ldap_tls_ca_file, ""),
	DEF(FA_SET_STR, ldap_tls_ca_dir, ""),
	DEF(FA_SET_TLS_REQUIRE, ldap_tls_require_cert, "demand"),
	DEF_UINT(ldap_timeout, "5", 1, 300),
	DEF_UINT(ldap_connections, "2", 1, 64),
	DEF_UINT(ldap_bind_connections, "4", 1, 256),
	DEF_UINT(lookup_cache_ttl, "5", 0, 3600),

	DEF(FA_SET_STR, person_base, ""),
	DEF(FA_SET_STR, person_filter,
	    "(&(objectClass=univentionMail)(|(uid=%u)(mailPrimaryAddress=%u)))"),
	DEF(FA_SET_STR, person_disabled_filter, ""),
	DEF(FA_SET_STR, person_name_attribute, "mailPrimaryAddress"),
	DEF(FA_SET_STR, person_uid_attribute, "uid"),
	DEF(FA_SET_STR, person_expire_attribute, "shadowExpire"),

	DEF(FA_SET_STR, target_base, ""),
	DEF(FA_SET_STR, target_filter,
	    "(&(|(objectClass=oxFunctionalAccount)"
	    "(objectClass=univentionMailSharedFolder))"
	    "(mailPrimaryAddress=%u))"),
	DEF(FA_SET_STR, target_name_attribute, "mailPrimaryAddress"),
	DEF(FA_SET_STR, member_attribute, "uniqueMember"),
	DEF(FA_SET_STR, acl_attribute, "univentionMailACL"),
	DEF(FA_SET_STR, quota_attributes, "oxQuota univentionMailUserQuota"),
	DEF(FA_SET_RIGHT, min_right, "read"),
	DEF(FA_SET_RIGHT, send_min_right, "append"),

	DEF(FA_SET_STR, group_base, ""),
	DEF(FA_SET_STR, group_filter,
	    "(&(objectClass=posixGroup)(|(uniqueMember=%{dn})(memberUid=%{uid})))"),
	DEF(FA_SET_STR, group_name_attribute, "cn"),
	DEF(FA_SET_STR, person_memberof_attribute, ""),
	DEF_UINT(group_nesting_depth, "3", 0, 10),

	DEF(FA_SET_STR, separators, "/ *"),
	DEF(FA_SET_ORDER, login_order, "person-first"),
	DEF(FA_SET_BOOL, plain_logins, "no"),
	DEF(FA_SET_STR, smtp_services, "smtp submission"),
	DEF(FA_SET_BOOL, smtp_functional_logins, "no"),
	DEF(FA_SET_STR, recipient_delimiter, "+"),

	DEF(FA_SET_STR, userdb_home, "/var/vmail/%d/%n"),
	DEF(FA_SET_STR, userdb_mail, ""),
	DEF(FA_SET_STR, userdb_uid, "vmail"),
	DEF(FA_SET_STR, userdb_gid, "vmail"),

	DEF(FA_SET_STR, session_acl, ""),
	DEF(FA_SET_STR, session_acl_group_prefix, "functional-"),
	DEF(FA_SET_STR, session_mail_plugins, "acl functional_session"),
};
#define FA_SETTING_COUNT (sizeof(fa_setting_defs) / sizeof(fa_setting_defs[0]))

static char fa_settings_error_buf[1024];

static const char *fa_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static const char *fa_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(fa_settings_error_buf, sizeof(fa_settings_error_buf),
		  fmt, args);
	va_end(args);
	return fa_settings_error_buf;
}

static int
fa_setting_set(struct fa_settings *set, const struct fa_setting_def *def,
	       const char *value, const char **error_r)
{
	void *field = (char *)set + def->offset;
	unsigned long num;
	char *end;

	switch (def->type) {
	case FA_SET_STR:
		*(const char **)field = arena_strdup(&set->arena, value);
		return 0;
	case FA_SET_BOOL:
		if (strcmp(value, "yes") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "no") == 0)
			*(bool *)field = false;
		else {
			*error_r = "expected yes or no";
			return -1;
		}
		return 0;
	case FA_SET_UINT:
		errno = 0;
		num = strtoul(value, &end, 10);
		if (value[0] < '0' || value[0] > '9' || *end != '\0' ||
		    errno != 0 || num < def->min || num > def->max) {
			*error_r = arena_printf(&set->arena,
				"expected a number from %u to %u",
				def->min, def->max);
			return -1;
		}
		*(unsigned int *)field = (unsigned int)num;
		return 0;
	case FA_SET_RIGHT:
		if (acl_right_parse(value, strlen(value),
				    (enum acl_right *)field) < 0 ||
		    *(enum acl_right *)field == ACL_RIGHT_NONE) {
			*error_r = "expected read, post, append, write or all";
			return -1;
		}
		return 0;
	case FA_SET_ORDER:
		if (strcmp(value, "person-first") == 0)
			*(enum login_order *)field = LOGIN_ORDER_PERSON_FIRST;
		else if (strcmp(value, "target-first") == 0)
			*(enum login_order *)field = LOGIN_ORDER_TARGET_FIRST;
		else {
			*error_r = "expected person-first or target-first";
			return -1;
		}
		return 0;
	case FA_SET_TLS_REQUIRE: {
		static const char *const names[] = {
			"never", "allow", "try", "demand"
		};
		unsigned int i;

		for (i = 0; i < 4; i++) {
			if (strcmp(value, names[i]) == 0) {
				*(enum fa_tls_require_cert *)field = i;
				return 0;
			}
		}
		*error_r = "expected never, allow, try or demand";
		return -1;
	}
	}
	*error_r = "internal: unknown setting type";
	return -1;
}

static const struct fa_setting_def *fa_setting_find(const char *key)
{
	size_t i;

	for (i = 0; i < FA_SETTING_COUNT; i++) {
		if (strcmp(fa_setting_defs[i].key, key) == 0)
			return &fa_setting_defs[i];
	}
	return NULL;
}

static char *fa_trim(char *start, char *end)
{
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
			       end[-1] == '\r'))
		end--;
	*end = '\0';
	return start;
}

/* fa_parse_line - split one line into key and value; key NULL if blank */
static int fa_parse_line(char *line, char **key_r, char **value_r,
			 const char **error_r)
{
	char *eq, *value, *p, *end;

	*key_r = NULL;
	p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#' || *p == '\r')
		return 0;
	eq = strchr(p, '=');
	if (eq == NULL) {
		*error_r = "expected key = value";
		return -1;
	}
	*key_r = fa_trim(p, eq);
	if (**key_r == '\0') {
		*error_r = "missing key before '='";
		return -1;
	}
	value = eq + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value == '"') {
		end = strchr(value + 1, '"');
		if (end == NULL) {
			*error_r = "unterminated quoted value";
			return -1;
		}
		*end = '\0';
		p = fa_trim(end + 1, end + 1 + strlen(end + 1));
		if (*p != '\0' && *p != '#') {
			*error_r = "text after quoted value";
			return -1;
		}
		*value_r = value + 1;
		return 0;
	}
	end = strchr(value, '#');
	if (end == NULL)
		end = value + strlen(value);
	*value_r = fa_trim(value, end);
	return 0;
}

static int fa_check_filter(struct fa_settings *set, const char *key,
			   const char *filter, bool with_person,
			   const char **error_r)
{
	struct var_template_entry table[6];
	const char *expanded, *error;
	int depth = 0;
	const char *p;

	var_template_login_table(&set->arena, "user@example.com", table);
	table[3] = (struct var_template_entry){ 0, "dn",
		with_person ? "uid=user,dc=example,dc=com" : NULL };
	table[4] = (struct var_template_entry){ 0, "uid",
		with_person ? "user" : NULL };
	table[5] = (struct var_template_entry){ 0, NULL, NULL };
	if (ldap_filter_expand(&set->arena, filter, table,
			       &expanded, &error) < 0) {
		*error_r = arena_printf(&set->arena, "%s: %s", key, error);
		return -1;
	}
	if (expanded[0] != '(') {
		*error_r = arena_printf(&set->arena,
			"%s: filter must start with '('", key);
		return -1;
	}
	for (p = expanded; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			break;
	}
	if (depth != 0) {
		*error_r = arena_printf(&set->arena,
			"%s: unbalanced parentheses", key);
		return -1;
	}
	return 0;
}

static int fa_check_userdb_template(struct fa_settings *set, const char *key,
				    const char *tmpl, const char **error_r)
{
	struct var_template_entry table[4];
	const char *expanded, *error;

	var_template_login_table(&set->arena, "user@example.com", table);
	if (var_template_expand(&set->arena, tmpl, table,
				var_template_no_escape,
				&expanded, &error) < 0) {
		*error_r = arena_printf(&set->arena, "%s: %s", key, error);
		return -1;
	}
	return 0;
}

static int fa_read_password_file(struct fa_settings *set, const char **error_r)
{
	char buf[1024];
	struct stat st;
	ssize_t ret;
	int fd;

	fd = open(set->ldap_bind_password_file, O_RDONLY | O_NOFOLLOW);
	if (fd < 0) {
		*error_r = arena_printf(&set->arena,
			"ldap_bind_password_file: open(%s) failed: %s",
			set->ldap_bind_password_file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & 077) != 0) {
		close(fd);
		*error_r = arena_printf(&set->arena,
			"ldap_bind_password_file: %s must not be readable by "
			"group or others (chmod 600)",
			set->ldap_bind_password_file);
		return -1;
	}
	ret = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (ret < 0 || (size_t)ret >= sizeof(buf) - 1) {
		*error_r = arena_printf(&set->arena,
			"ldap_bind_password_file: %s is unreadable or too long",
			set->ldap_bind_password_file);
		return -1;
	}
	while (ret > 0 && (buf[ret - 1] == '\n' || buf[ret - 1] == '\r'))
		ret--;
	set->ldap_bind_password = arena_strndup(&set->arena, buf, (size_t)ret);
	memset(buf, 0, sizeof(buf));
	return 0;
}

static int fa_check_separators(struct fa_settings *set, const char **error_r)
{
	char seps[32];
	size_t n = 0;
	const char *p;

	for (p = set->separators; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if ((p[1] != '\0' && p[1] != ' ') ||
		    (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e ||
		    strchr("@.-_+%", *p) != NULL ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9')) {
			*error_r = "separators: expected single punctuation "
				"characters other than @ . - _ + %, separated "
				"by spaces";
			return -1;
		}
		if (memchr(seps, *p, n) != NULL) {
			*error_r = "separators: a separator is listed twice";
			return -1;
		}
		if (n + 1 >= sizeof(seps)) {
			*error_r = "separators: too many";
			return -1;
		}
		seps[n++] = *p;
	}
	if (n == 0) {
		*error_r = "separators: at least one is needed";
		return -1;
	}
	set->separators = arena_strndup(&set->arena, seps, n);
	return 0;
}

static int fa_check_uris(struct fa_settings *set, const char **error_r)
{
	char *uris = arena_strdup(&set->arena, set->ldap_uris), *uri, *save;

	for (uri = strtok_r(uris, " \t", &save); uri != NULL;
	     uri = strtok_r(NULL, " \t", &save)) {
		if (strncmp(uri, "ldap://", 7) != 0 &&
		    strncmp(uri, "ldaps://", 8) != 0 &&
		    strncmp(uri, "ldapi://", 8) != 0) {
			*error_r = arena_printf(&set->arena,
				"ldap_uris: '%s' is not an ldap://, ldaps:// or "
				"ldapi:// URI", uri);
			return -1;
		}
	}
	if (set->ldap_uris[0] == '\0') {
		*error_r = "ldap_uris: at least one URI is needed";
		return -1;
	}
	return 0;
}

/* fa_settings_finish - defaults that depend on other keys, and checks
   that look at more than one key */
static int fa_settings_finish(struct fa_settings *set, const char **error_r)
{
	if (fa_check_uris(set, error_r) < 0)
		return -1;
	if (set->ldap_bind_password[0] != '\0' &&
	    set->ldap_bind_password_file[0] != '\0') {
		*error_r = "ldap_bind_password and ldap_bind_password_file "
			"are mutually exclusive";
		return -1;
	}
	if (set->ldap_bind_password_file[0] != '\0' &&
	    fa_read_password_file(set, error_r) < 0)
		return -1;
	if (set->ldap_bind_dn[0] == '\0' && set->ldap_bind_password[0] != '\0') {
		*error_r = "ldap_bind_password is set but ldap_bind_dn is not";
		return -1;
	}
	if (set->person_base[0] == '\0')
		set->person_base = set->ldap_base;
	if (set->target_base[0] == '\0')
		set->target_base = set->ldap_base;
	if (set->group_base[0] == '\0')
		set->group_base = set->ldap_base;
	if (set->person_name_attribute[0] == '\0' ||
	    set->target_name_attribute[0] == '\0') {
		*error_r = "person_name_attribute and target_name_attribute "
			"must not be empty";
		return -1;
	}
	if (set->member_attribute[0] == '\0' && set->acl_attribute[0] == '\0') {
		*error_r = "member_attribute and acl_attribute are both empty: "
			"no rule could ever grant access";
		return -1;
	}
	if (fa_check_filter(set, "person_filter", set->person_filter,
			    false, error_r) < 0 ||
	    fa_check_filter(set, "target_filter", set->target_filter,
			    false, error_r) < 0 ||
	    fa_check_filter(set, "group_filter", set->group_filter,
			    true, error_r) < 0)
		return -1;
	if (set->person_disabled_filter[0] != '\0' &&
	    fa_check_filter(set, "person_disabled_filter",
			    set->person_disabled_filter, false, error_r) < 0)
		return -1;
	if (fa_check_userdb_template(set, "userdb_home", set->userdb_home,
				     error_r) < 0 ||
	    fa_check_userdb_template(set, "userdb_mail", set->userdb_mail,
				     error_r) < 0)
		return -1;
	if (strpbrk(set->recipient_delimiter, "@ \t") != NULL) {
		*error_r = "recipient_delimiter: '@' and spaces cannot be "
			"delimiters";
		return -1;
	}
	return fa_check_separators(set, error_r);
}

int fa_settings_parse(const char *name, const char *text, size_t size,
		      struct fa_settings **set_r, const char **error_r)
{
	struct fa_settings *set;
	/* line of each key, 0 if not in the file */
	unsigned int lines[FA_SETTING_COUNT] = { 0 };
	const struct fa_setting_def *def;
	const char *line_start, *line_end, *error;
	char line[FA_SETTINGS_MAX_LINE], *key, *value;
	unsigned int line_no = 0;
	size_t i, len;

	set = calloc(1, sizeof(*set));
	if (set == NULL)
		abort();
	arena_init(&set->arena, 4096);
	set->path = arena_strdup(&set->arena, name);
	for (i = 0; i < FA_SETTING_COUNT; i++) {
		if (fa_setting_defs[i].default_value == NULL)
			continue;
		if (fa_setting_set(set, &fa_setting_defs[i],
				   fa_setting_defs[i].default_value, &error) < 0)
			abort();
	}

	for (line_start = text; line_start < text + size;
	     line_start = line_end + 1) {
		line_no++;
		line_end = memchr(line_start, '\n',
				  (size_t)(text + size - line_start));
		if (line_end == NULL)
			line_end = text + size;
		len = (size_t)(line_end - line_start);
		if (len >= sizeof(line) || memchr(line_start, '\0', len)) {
			*error_r = fa_error("%s:%u: line too long or holds a "
					    "NUL byte", name, line_no);
			goto fail;
		}
		memcpy(line, line_start, len);
		line[len] = '\0';
		if (fa_parse_line(line, &key, &value, &error) < 0) {
			*error_r = fa_error("%s:%u: %s", name, line_no, error);
			goto fail;
		}
		if (key == NULL)
			continue;
		def = fa_setting_find(key);
		if (def == NULL) {
			*error_r = fa_error("%s:%u: unknown setting '%s'",
					    name, line_no, key);
			goto fail;
		}
		if (lines[def - fa_setting_defs] != 0) {
			*error_r = fa_error("%s:%u: '%s' is set twice",
					    name, line_no, key);
			goto fail;
		}
		lines[def - fa_setting_defs] = line_no;
		if (fa_setting_set(set, def, value, &error) < 0) {
			*error_r = fa_error("%s:%u: %s: %s", name, line_no,
					    key, error);
			goto fail;
		}
	}
	for (i = 0; i < FA_SETTING_COUNT; i++) {
		if (fa_setting_defs[i].default_value == NULL && lines[i] == 0) {
			*error_r = fa_error("%s: missing required setting '%s'",
					    name, fa_setting_defs[i].key);
			goto fail;
		}
	}
	if (fa_settings_finish(set, &error) < 0) {
		/* errors about one key start with "key:"; point at its line */
		const char *colon = strchr(error, ':');

		def = colon == NULL ? NULL :
			fa_setting_find(arena_strndup(&set->arena, error,
						      (size_t)(colon - error)));
		if (def != NULL && lines[def - fa_setting_defs] != 0)
			*error_r = fa_error("%s:%u: %s", name,
					    lines[def - fa_setting_defs], error);
		else
			*error_r = fa_error("%s: %s", name, error);
		goto fail;
	}
	*set_r = set;
	return 0;
fail:
	fa_settings_free(&set);
	return -1;
}

int fa_settings_read(const char *path, struct fa_settings **set_r,
		     const char **error_r)
{
	struct stat st;
	char *text;
	ssize_t ret;
	int fd, result;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		*error_r = fa_error("%s: open failed: %s", path,
				    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_size > FA_SETTINGS_MAX_FILE_SIZE) {
		close(fd);
		*error_r = fa_error("%s: not a config file of sane size", path);
		return -1;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL)
		abort();
	ret = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (ret != st.st_size) {
		free(text);
		*error_r = fa_error("%s: read failed", path);
		return -1;
	}
	result = fa_settings_parse(path, text, (size_t)ret, set_r, error_r);
	free(text);
	return result;
}

void fa_settings_free(struct fa_settings **set_p)
{
	struct fa_settings *set = *set_p;

	if (set == NULL)
		return;
	*set_p = NULL;
	if (set->ldap_bind_password != NULL)
		memset((char *)set->ldap_bind_password, 0,
		       strlen(set->ldap_bind_password));
	arena_free(&set->arena);
	free(set);
}

void fa_settings_login_split(const struct fa_settings *set,
			     struct login_split_settings *split_r)
{
	split_r->separators = set->separators;
	split_r->order = set->login_order;
}

bool fa_settings_smtp_service(const struct fa_settings *set,
			      const char *service)
{
	const char *p = set->smtp_services;
	size_t len, service_len;

	if (service == NULL)
		return false;
	service_len = strlen(service);
	while (*p != '\0') {
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len != 0 && len == service_len &&
		    strncasecmp(p, service, len) == 0)
			return true;
		p += len;
	}
	return false;
}
