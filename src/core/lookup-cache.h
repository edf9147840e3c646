#ifndef LOOKUP_CACHE_H
#define LOOKUP_CACHE_H

/* lookup-cache - directory answers kept for a few seconds (lookup_cache_ttl)
   so a morning rush does not search the same functional account, person
   or group list over and over. Only what a search returned is cached,
   never a bind: every password is still verified by the directory. What
   the directory changes is seen at the latest after the TTL. Bounded in
   entries; the oldest go first. */

struct arena;
struct ldap_entry;
struct lookup_cache;

enum lookup_cache_kind {
	LOOKUP_CACHE_PERSON,
	LOOKUP_CACHE_TARGET,
	LOOKUP_CACHE_GROUPS,
};

/* lookup_cache_new - NULL when ttl_secs is 0 (caching off) */
struct lookup_cache *lookup_cache_new(unsigned int ttl_secs,
				      unsigned int max_items);
void lookup_cache_free(struct lookup_cache **cache_p);

/* lookup_cache_get - a fresh copy (in arena) of what was put under key,
   or -1 if nothing fresh is there */
int lookup_cache_get(struct lookup_cache *cache, enum lookup_cache_kind kind,
		     const char *key, struct arena *arena,
		     const struct ldap_entry **entries_r,
		     unsigned int *count_r);
void lookup_cache_put(struct lookup_cache *cache, enum lookup_cache_kind kind,
		      const char *key, const struct ldap_entry *entries,
		      unsigned int count);

#endif
