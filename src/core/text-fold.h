#ifndef TEXT_FOLD_H
#define TEXT_FOLD_H

/* text-fold - the forms in which names from the directory are compared.
   LDAP compares DNs and names such as cn case-insensitively, also beyond
   ASCII ("JÖRG MÜLLER" equals "Jörg Müller"), and ignores runs of spaces
   in them; so must we, or a member list or ACL value that names a person
   in another spelling would not count. Input is UTF-8; bytes that are not
   valid UTF-8 are kept as they are (they then only equal themselves). */

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* text_casefold - str with every letter in lower case (Unicode simple
   case mapping); str itself when it is ASCII without upper-case letters,
   else a copy in arena */
const char *text_casefold(struct arena *arena, const char *str);

/* text_fold_name - text_casefold of str with leading and trailing white
   space removed and inner runs of white space made one space: the form
   in which identifiers and group names are compared */
const char *text_fold_name(struct arena *arena, const char *str,
			   size_t len);

/* text_join_words - str's words joined by one space, case kept: the
   folded name as the directory spelled it, for messages */
const char *text_join_words(struct arena *arena, const char *str,
			    size_t len);

/* text_utf8_decode - the code point at p (at most len bytes), its length
   in len_r; -1 if p does not start a valid, shortest-form sequence (no
   surrogates, nothing past U+10FFFF) */
long text_utf8_decode(const unsigned char *p, size_t len, size_t *len_r);

/* text_is_space - the white space UCS splits ACL values on */
bool text_is_space(char c);

#endif
