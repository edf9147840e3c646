/* lookup-cache - short-lived copies of search results (see lookup-cache.h).
   A chained hash table plus a FIFO list in insertion order: the oldest
   item is the first to expire and the first evicted when full. Keys are
   compared case-insensitively, as LDAP compares names. */

#include "lookup-cache.h"
#include "ldap-pool.h"
#include "arena.h"
#include "fa-clock.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct lookup_cache_item {
	struct lookup_cache_item *hash_next;
	struct lookup_cache_item *fifo_next;
	enum lookup_cache_kind kind;
	long long expires_msecs;
	char *key;
	/* owns the copied entries */
	struct arena arena;
	const struct ldap_entry *entries;
	unsigned int count;
};

struct lookup_cache {
	unsigned int ttl_msecs, max_items, count;
	struct lookup_cache_item **table;
	unsigned int table_size;
	struct lookup_cache_item *fifo_head, *fifo_tail;
};

static unsigned int cache_hash(enum lookup_cache_kind kind, const char *key)
{
	unsigned int h = 2166136261u ^ (unsigned int)kind;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)tolower((unsigned char)*key)) * 16777619u;
	return h;
}

/* entries_copy - deep copy of entries into arena */
static const struct ldap_entry *
entries_copy(struct arena *arena, const struct ldap_entry *entries,
	     unsigned int count)
{
	struct ldap_entry *copy = arena_alloc(arena, sizeof(*copy) * (count + 1));
	struct ldap_attr *attrs;
	const char **values;
	unsigned int i, a, v;

	for (i = 0; i < count; i++) {
		copy[i].dn = arena_strdup(arena, entries[i].dn);
		copy[i].attr_count = entries[i].attr_count;
		attrs = arena_alloc(arena, sizeof(*attrs) *
				    (entries[i].attr_count + 1));
		for (a = 0; a < entries[i].attr_count; a++) {
			const struct ldap_attr *src = &entries[i].attrs[a];

			attrs[a].name = arena_strdup(arena, src->name);
			attrs[a].value_count = src->value_count;
			attrs[a].untagged_count = src->untagged_count;
			values = arena_alloc(arena, sizeof(*values) *
					     (src->value_count + 1));
			for (v = 0; v < src->value_count; v++)
				values[v] = arena_strdup(arena, src->values[v]);
			attrs[a].values = values;
		}
		copy[i].attrs = attrs;
	}
	return copy;
}

struct lookup_cache *lookup_cache_new(unsigned int ttl_secs,
				      unsigned int max_items)
{
	struct lookup_cache *cache;

	if (ttl_secs == 0)
		return NULL;
	cache = calloc(1, sizeof(*cache));
	if (cache == NULL)
		abort();
	cache->ttl_msecs = ttl_secs * 1000;
	cache->max_items = max_items;
	cache->table_size = 1024;
	while (cache->table_size < max_items && cache->table_size < (1u << 20))
		cache->table_size *= 2;
	cache->table = calloc(cache->table_size, sizeof(*cache->table));
	if (cache->table == NULL)
		abort();
	return cache;
}

static void cache_item_unlink(struct lookup_cache *cache,
			      struct lookup_cache_item *item)
{
	struct lookup_cache_item **p;

	p = &cache->table[cache_hash(item->kind, item->key) &
			  (cache->table_size - 1)];
	for (; *p != NULL; p = &(*p)->hash_next) {
		if (*p == item) {
			*p = item->hash_next;
			break;
		}
	}
	cache->count--;
}

/* cache_drop_oldest - remove the head of the FIFO */
static void cache_drop_oldest(struct lookup_cache *cache)
{
	struct lookup_cache_item *item = cache->fifo_head;

	cache->fifo_head = item->fifo_next;
	if (cache->fifo_head == NULL)
		cache->fifo_tail = NULL;
	cache_item_unlink(cache, item);
	arena_free(&item->arena);
	free(item->key);
	free(item);
}

static void cache_expire(struct lookup_cache *cache, long long now)
{
	while (cache->fifo_head != NULL &&
	       cache->fifo_head->expires_msecs <= now)
		cache_drop_oldest(cache);
}

void lookup_cache_free(struct lookup_cache **cache_p)
{
	struct lookup_cache *cache = *cache_p;

	if (cache == NULL)
		return;
	*cache_p = NULL;
	while (cache->fifo_head != NULL)
		cache_drop_oldest(cache);
	free(cache->table);
	free(cache);
}

static struct lookup_cache_item *
cache_find(struct lookup_cache *cache, enum lookup_cache_kind kind,
	   const char *key)
{
	struct lookup_cache_item *item;

	item = cache->table[cache_hash(kind, key) & (cache->table_size - 1)];
	for (; item != NULL; item = item->hash_next) {
		if (item->kind == kind && strcasecmp(item->key, key) == 0)
			return item;
	}
	return NULL;
}

int lookup_cache_get(struct lookup_cache *cache, enum lookup_cache_kind kind,
		     const char *key, struct arena *arena,
		     const struct ldap_entry **entries_r,
		     unsigned int *count_r)
{
	struct lookup_cache_item *item;

	if (cache == NULL)
		return -1;
	cache_expire(cache, fa_clock_msecs());
	item = cache_find(cache, kind, key);
	if (item == NULL)
		return -1;
	*entries_r = entries_copy(arena, item->entries, item->count);
	*count_r = item->count;
	return 0;
}

void lookup_cache_put(struct lookup_cache *cache, enum lookup_cache_kind kind,
		      const char *key, const struct ldap_entry *entries,
		      unsigned int count)
{
	struct lookup_cache_item *item, **bucket;
	long long now;

	if (cache == NULL)
		return;
	now = fa_clock_msecs();
	cache_expire(cache, now);
	if (cache_find(cache, kind, key) != NULL)
		return;
	while (cache->count >= cache->max_items && cache->fifo_head != NULL)
		cache_drop_oldest(cache);

	item = calloc(1, sizeof(*item));
	if (item == NULL || (item->key = strdup(key)) == NULL)
		abort();
	item->kind = kind;
	item->expires_msecs = now + cache->ttl_msecs;
	arena_init(&item->arena, 512);
	item->entries = entries_copy(&item->arena, entries, count);
	item->count = count;

	bucket = &cache->table[cache_hash(kind, key) & (cache->table_size - 1)];
	item->hash_next = *bucket;
	*bucket = item;
	if (cache->fifo_tail != NULL)
		cache->fifo_tail->fifo_next = item;
	else
		cache->fifo_head = item;
	cache->fifo_tail = item;
	cache->count++;
}
