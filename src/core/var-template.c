/* var-template - expand %u, %n, %d, %{name} and %% in templates. */

#include "var-template.h"
#include "arena.h"

#include <string.h>

struct out_buf {
	struct arena *arena;
	char *data;
	size_t len, size;
};

static void out_append(struct out_buf *out, const char *str, size_t len)
{
	char *data;

	if (out->len + len + 1 > out->size) {
		out->size = (out->len + len + 1) * 2;
		data = arena_alloc(out->arena, out->size);
		memcpy(data, out->data, out->len);
		out->data = data;
	}
	memcpy(out->data + out->len, str, len);
	out->len += len;
	out->data[out->len] = '\0';
}

static const struct var_template_entry *
var_template_find(const struct var_template_entry *table, char key,
		  const char *long_key, size_t long_len)
{
	for (; table->key != '\0' || table->long_key != NULL; table++) {
		if (long_key == NULL ? table->key == key :
		    (table->long_key != NULL &&
		     strlen(table->long_key) == long_len &&
		     strncmp(table->long_key, long_key, long_len) == 0))
			return table;
	}
	return NULL;
}

const char *var_template_no_escape(struct arena *arena, const char *value)
{
	(void)arena;
	return value;
}

int var_template_expand(struct arena *arena, const char *tmpl,
			const struct var_template_entry *table,
			var_template_escape_t *escape,
			const char **result_r, const char **error_r)
{
	struct out_buf out = { .arena = arena, .data = (char *)"" };
	const struct var_template_entry *entry;
	const char *p, *end, *value;

	out_append(&out, "", 0);
	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			out_append(&out, p, 1);
			continue;
		}
		p++;
		if (*p == '%') {
			out_append(&out, "%", 1);
			continue;
		}
		if (*p == '{') {
			end = strchr(p, '}');
			if (end == NULL) {
				*error_r = "unterminated %{";
				return -1;
			}
			entry = var_template_find(table, 0, p + 1,
						  (size_t)(end - p - 1));
			if (entry == NULL) {
				*error_r = arena_printf(arena,
					"unknown variable %%{%.*s}",
					(int)(end - p - 1), p + 1);
				return -1;
			}
			p = end;
		} else if (*p == '\0') {
			*error_r = "template ends in '%'";
			return -1;
		} else {
			entry = var_template_find(table, *p, NULL, 0);
			if (entry == NULL) {
				*error_r = arena_printf(arena,
					"unknown variable %%%c", *p);
				return -1;
			}
		}
		if (entry->value == NULL) {
			*error_r = entry->long_key != NULL ?
				arena_printf(arena, "variable %%{%s} is not "
					     "available here", entry->long_key) :
				arena_printf(arena, "variable %%%c is not "
					     "available here", entry->key);
			return -1;
		}
		value = escape(arena, entry->value);
		out_append(&out, value, strlen(value));
	}
	*result_r = out.data;
	return 0;
}

void var_template_login_table(struct arena *arena, const char *login,
			      struct var_template_entry table_r[4])
{
	const char *at = login == NULL ? NULL : strrchr(login, '@');

	table_r[0] = (struct var_template_entry){ 'u', "user", login };
	table_r[1] = (struct var_template_entry){ 'n', "username",
		at == NULL ? login :
		arena_strndup(arena, login, (size_t)(at - login)) };
	table_r[2] = (struct var_template_entry){ 'd', "domain",
		at == NULL ? (login == NULL ? NULL : "") : at + 1 };
	table_r[3] = (struct var_template_entry){ 0, NULL, NULL };
}
