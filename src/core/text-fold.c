/* text-fold - case and space folding of UTF-8 names (see text-fold.h).

   Case mapping comes from the C library's UTF-8 character class tables
   (towlower_l() in C.UTF-8, built into glibc since 2.35), not from the
   process locale, which Dovecot leaves at "C". If that locale is missing,
   only ASCII is folded: names then compare as before, never more
   loosely. */

#include "text-fold.h"
#include "arena.h"

#include <locale.h>
#include <string.h>
#include <wctype.h>

static locale_t text_fold_locale;
static bool text_fold_locale_tried;

static locale_t text_fold_get_locale(void)
{
	if (!text_fold_locale_tried) {
		text_fold_locale_tried = true;
		text_fold_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8",
					     (locale_t)0);
	}
	return text_fold_locale;
}

bool text_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

long text_utf8_decode(const unsigned char *p, size_t len, size_t *len_r)
{
	unsigned long cp;
	size_t n, i;

	if (p[0] < 0x80) {
		*len_r = 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2; cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3; cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4; cp = p[0] & 0x07;
	} else {
		return -1;
	}
	if (len < n)
		return -1;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len_r = n;
	return (long)cp;
}

static size_t utf8_encode(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned long fold_code_point(unsigned long cp)
{
	locale_t loc;
	wint_t lower;

	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
	loc = text_fold_get_locale();
	if (loc == (locale_t)0)
		return cp;
	lower = towlower_l((wint_t)cp, loc);
	/* a lower-case form must encode as validly as the original */
	if (lower == WEOF || lower > 0x10ffff ||
	    (lower >= 0xd800 && lower <= 0xdfff))
		return cp;
	return (unsigned long)lower;
}

/* fold_into - copy [str, str+len) into out, optionally case-folded
   (out needs room for 4*len+1 bytes then: a lower-case form may encode
   longer) and with white space folded; returns the length written */
static size_t fold_into(const char *str, size_t len, bool fold_space,
			bool fold_case, char *out)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t i = 0, o = 0, n;
	bool pending_space = false;
	long cp;

	while (i < len) {
		if (fold_space && text_is_space((char)p[i])) {
			pending_space = o > 0;
			i++;
			continue;
		}
		if (pending_space) {
			out[o++] = ' ';
			pending_space = false;
		}
		cp = fold_case ? text_utf8_decode(p + i, len - i, &n) : -1;
		if (cp < 0) {
			out[o++] = (char)p[i++];
			continue;
		}
		o += utf8_encode(fold_code_point((unsigned long)cp), out + o);
		i += n;
	}
	out[o] = '\0';
	return o;
}

static bool needs_casefold(const char *str)
{
	const unsigned char *p;

	for (p = (const unsigned char *)str; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || *p >= 0x80)
			return true;
	}
	return false;
}

const char *text_casefold(struct arena *arena, const char *str)
{
	size_t len = strlen(str);
	char *out;

	if (!needs_casefold(str))
		return str;
	out = arena_alloc(arena, len * 4 + 1);
	fold_into(str, len, false, true, out);
	return out;
}

const char *text_fold_name(struct arena *arena, const char *str, size_t len)
{
	char *out = arena_alloc(arena, len * 4 + 1);

	fold_into(str, len, true, true, out);
	return out;
}

const char *text_join_words(struct arena *arena, const char *str, size_t len)
{
	char *out = arena_alloc(arena, len + 1);

	fold_into(str, len, true, false, out);
	return out;
}
