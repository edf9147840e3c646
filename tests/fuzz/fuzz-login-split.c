/* fuzz-login-split - libFuzzer target: any bytes as a login, in both
   orders, with separators including '\'. Checks the invariants: a split
   login's parts are non-empty, checked, and together with the separator
   rebuild the input. */
#include "login-split.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct login_split_settings sets[] = {
		{ "/*", LOGIN_ORDER_PERSON_FIRST },
		{ "*\\/", LOGIN_ORDER_TARGET_FIRST },
	};
	struct login_parts parts;
	struct arena arena;
	const char *error;
	char *login = malloc(size + 1), *rebuilt;
	unsigned int i;

	memcpy(login, data, size);
	login[size] = '\0';
	for (i = 0; i < 2; i++) {
		arena_init(&arena, 256);
		if (login_split(login, &sets[i], &arena, &parts, &error) ==
		    LOGIN_SPLIT_OK) {
			const char *first = sets[i].order == LOGIN_ORDER_PERSON_FIRST ?
				parts.person : parts.target;
			const char *second = sets[i].order == LOGIN_ORDER_PERSON_FIRST ?
				parts.target : parts.person;

			if (first[0] == '\0' || second[0] == '\0' ||
			    login_part_check(first, strlen(first), &error) < 0 ||
			    login_part_check(second, strlen(second), &error) < 0)
				abort();
			rebuilt = arena_printf(&arena, "%s%c%s", first,
					       parts.separator, second);
			if (strcmp(rebuilt, login) != 0)
				abort();
		}
		arena_free(&arena);
	}
	free(login);
	return 0;
}
