/* arena - request-scoped bump allocator (see arena.h).
   Allocation failure aborts: like Dovecot's pools, callers never see NULL. */

#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#define ARENA_ALIGN 16
#define ARENA_MAX_BLOCK (1024 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t size, used;
	/* data follows, aligned */
	union { long double ld; void *p; long long ll; } data[];
};

static void *arena_block_new(struct arena *arena, size_t min_size)
{
	struct arena_block *block;
	size_t size = arena->next_size;

	if (size < min_size)
		size = min_size;
	if (size > SIZE_MAX - sizeof(*block))
		abort();
	block = malloc(sizeof(*block) + size);
	if (block == NULL)
		abort();
	block->size = size;
	block->used = 0;
	block->next = arena->head;
	arena->head = block;
	if (arena->next_size < ARENA_MAX_BLOCK)
		arena->next_size *= 2;
	return block;
}

void arena_init(struct arena *arena, size_t initial_size)
{
	arena->head = NULL;
	arena->next_size = initial_size < 64 ? 64 : initial_size;
}

void arena_free(struct arena *arena)
{
	struct arena_block *block, *next;

	for (block = arena->head; block != NULL; block = next) {
		next = block->next;
		free(block);
	}
	arena->head = NULL;
}

void *arena_alloc(struct arena *arena, size_t size)
{
	struct arena_block *block = arena->head;
	void *ptr;

	if (size > SIZE_MAX - ARENA_ALIGN)
		abort();
	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (size == 0)
		size = ARENA_ALIGN;
	if (block == NULL || block->size - block->used < size)
		block = arena_block_new(arena, size);
	ptr = (char *)block->data + block->used;
	block->used += size;
	memset(ptr, 0, size);
	return ptr;
}

char *arena_strndup(struct arena *arena, const char *str, size_t len)
{
	char *dup = arena_alloc(arena, len + 1);

	memcpy(dup, str, len);
	dup[len] = '\0';
	return dup;
}

char *arena_strdup(struct arena *arena, const char *str)
{
	return str == NULL ? NULL : arena_strndup(arena, str, strlen(str));
}

char *arena_vprintf(struct arena *arena, const char *fmt, va_list args)
{
	va_list copy;
	char *buf;
	int len;

	va_copy(copy, args);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		abort();
	buf = arena_alloc(arena, (size_t)len + 1);
	(void)vsnprintf(buf, (size_t)len + 1, fmt, args);
	return buf;
}

char *arena_printf(struct arena *arena, const char *fmt, ...)
{
	va_list args;
	char *buf;

	va_start(args, fmt);
	buf = arena_vprintf(arena, fmt, args);
	va_end(args);
	return buf;
}
