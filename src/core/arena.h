#ifndef ARENA_H
#define ARENA_H

/* arena - request-scoped bump allocator.
   Everything a lookup copies out of the directory lives in one arena that
   the lookup owns and frees in one go; no piece is freed on its own. */

#include <stddef.h>
#include <stdarg.h>

struct arena_block;

struct arena {
	/* newest block first; each allocation comes from the head */
	struct arena_block *head;
	/* size of the next block to allocate */
	size_t next_size;
};

void arena_init(struct arena *arena, size_t initial_size);
/* arena_free - release every block; the arena may be reused after init */
void arena_free(struct arena *arena);

void *arena_alloc(struct arena *arena, size_t size);
char *arena_strdup(struct arena *arena, const char *str);
char *arena_strndup(struct arena *arena, const char *str, size_t len);
char *arena_printf(struct arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *arena, const char *fmt, va_list args)
	__attribute__((format(printf, 2, 0)));

#endif
