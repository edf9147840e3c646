/* fuzz-dn - libFuzzer target: any bytes as a DN. Whatever
   ldap_dn_is_plain() takes as its own normal form must be one for libldap
   too (up to case), or a member written differently could be missed or,
   worse, two different DNs taken as one. */
#include "ldap-dn.h"
#include "arena.h"

#include <ldap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dn = malloc(size + 1), *normal = NULL;
	struct arena arena;

	memcpy(dn, data, size);
	dn[size] = '\0';
	if (ldap_dn_is_plain(dn)) {
		if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &normal,
				      LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
		    normal == NULL || strcasecmp(normal, dn) != 0)
			abort();
		ldap_memfree(normal);
	}
	arena_init(&arena, 64);
	(void)ldap_dn_comparable(&arena, dn);
	arena_free(&arena);
	free(dn);
	return 0;
}
