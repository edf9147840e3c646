/* ldap-entry - reading the entries ldap-pool copied out of an answer
   (declared in ldap-pool.h). Apart from the pool so that a test's fake
   directory shares them. */

#include "ldap-pool.h"

#include <stddef.h>
#include <strings.h>

const struct ldap_attr *
ldap_entry_attr(const struct ldap_entry *entry, const char *name)
{
	unsigned int i;

	for (i = 0; i < entry->attr_count; i++) {
		if (strcasecmp(entry->attrs[i].name, name) == 0)
			return &entry->attrs[i];
	}
	return NULL;
}

const char *const *
ldap_entry_values(const struct ldap_entry *entry, const char *name,
		  unsigned int *count_r)
{
	const struct ldap_attr *attr = ldap_entry_attr(entry, name);

	*count_r = attr == NULL ? 0 : attr->untagged_count;
	return attr == NULL ? NULL : attr->values;
}

const char *ldap_entry_first(const struct ldap_entry *entry, const char *name)
{
	unsigned int count;
	const char *const *values = ldap_entry_values(entry, name, &count);

	return count == 0 ? NULL : values[0];
}
