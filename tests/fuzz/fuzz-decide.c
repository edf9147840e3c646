/* fuzz-decide - libFuzzer target: grant_decide() checked against itself.
   The input is decoded into a person (DN, mail address or none, groups
   with names or without) and a target (member DNs, univentionMailACL
   values built from a small vocabulary: the person's address and others
   in varying case and white space, group names, anyone/authenticated,
   rights in any case, garbage words), then these must hold:

   - sanity: a grant is complete, reaches min_right, names its rule; a
     refusal says why; the same facts in any order decide the same;
   - groups: when grant_needs_groups() says no, the decision is the same
     without the person's groups and with one more;
   - removing a group from the person never raises the right or turns a
     refusal into a grant, when no ACL value is malformed and neither
     decision is incomplete;
   - removing every value of one group-layer identifier (a group name,
     "anyone", "authenticated") never raises the right or turns a refusal
     into a grant, when no ACL value is malformed and the decision was
     complete (removing only one of an identifier's values may raise it:
     per identifier the weakest; with a nameless group the removal may
     make the decision incomplete, which grants nothing);
   - when a value naming the person decides (no malformed value names
     her), removing any other value or any group changes nothing;
   - adding a well-formed value naming the person with right R makes the
     right exactly min(R, her other values), when no malformed value names
     her and she is no member;
   - a malformed value naming her denies, when she is no member;
   - a member gets all. */

#include "grant-decide.h"
#include "acl-right.h"
#include "arena.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 7
#define MAX_MEMBERS 4
#define MAX_VALUES 9

struct input {
	const uint8_t *data;
	size_t size, pos;
};

static unsigned int next(struct input *in, unsigned int modulo)
{
	unsigned int byte = in->pos < in->size ? in->data[in->pos++] : 0;

	return byte % modulo;
}

static const struct {
	const char *dn;
	const char *const *names;
	unsigned int name_count;
} group_vocabulary[] = {
	{ "cn=support,cn=groups,dc=example,dc=com",
	  (const char *const[]){ "support" }, 1 },
	{ "cn=domain users,cn=groups,dc=example,dc=com",
	  (const char *const[]){ "domain users" }, 1 },
	{ "cn=staff,cn=groups,dc=example,dc=com",
	  (const char *const[]){ "staff" }, 1 },
	{ "cn=helpdesk team,cn=groups,dc=example,dc=com",
	  (const char *const[]){ "helpdesk team", "hd" }, 2 },
	{ "cn=hidden,cn=groups,dc=example,dc=com", NULL, 0 },
	{ "cn=secret,cn=groups,dc=example,dc=com", NULL, 0 },
	{ "cn=support team,cn=groups,dc=example,dc=com",
	  (const char *const[]){ "support team" }, 1 },
};
#define GROUP_VOCABULARY_COUNT \
	(sizeof(group_vocabulary) / sizeof(group_vocabulary[0]))

static const char *const person_dns[] = {
	"uid=alice,cn=users,dc=example,dc=com",
	"uid=bob,cn=users,dc=example,dc=com",
};
static const char *const addresses[] = {
	"alice@example.com", "bob@example.com", NULL,
};
static const char *const other_members[] = {
	"uid=alice,cn=users,dc=example,dc=com",
	"uid=bob,cn=users,dc=example,dc=com",
	"uid=carol,cn=users,dc=example,dc=com",
	"uid=alice,cn=users,dc=example,dc=com,o=other",
};
static const char *const identifiers[] = {
	"alice@example.com", "Alice@Example.COM", "bob@example.com",
	"BOB@example.com", "carol@example.com", "support", "SUPPORT",
	"Domain Users", "domain\tusers", "staff", "hd", "Helpdesk  Team",
	"support team", "anyone", "Authenticated", "ANYONE", "marketing",
	"alice", "", "support read", "alice@example.com junk", "Support\tTeam",
};
static const char *const rights[] = {
	"none", "read", "post", "append", "write", "all",
	"superuser", "lrws", "", "rea", "al",
};
static const char *const spaces[] = { " ", "\t", "  ", "\n ", " \t " };
static const char *const edges[] = { "", "", " ", "\t", "\r\n" };

/* with_case - str with the letters mask picks in capitals */
static const char *with_case(struct arena *arena, const char *str,
			     unsigned int mask)
{
	char *copy = arena_strdup(arena, str), *p;
	unsigned int bit = 0;

	for (p = copy; *p != '\0'; p++, bit++) {
		if ((mask >> (bit % 8)) & 1)
			*p = (char)toupper((unsigned char)*p);
	}
	return copy;
}

struct facts {
	struct grant_rules rules;
	struct grant_person person;
	struct grant_group groups[MAX_GROUPS + 1];
	struct grant_target target;
	const char *members[MAX_MEMBERS];
	const char *values[MAX_VALUES + 1];
};

static void decode(struct arena *arena, struct input *in, struct facts *f)
{
	unsigned int i, n, flags;

	memset(f, 0, sizeof(*f));
	flags = next(in, 4);
	f->rules.member_attribute = (flags & 1) != 0 ? "uniqueMember" : "";
	f->rules.acl_attribute = (flags & 2) != 0 ? "univentionMailACL" : NULL;
	f->rules.min_right = (enum acl_right)(ACL_RIGHT_READ + next(in, 5));

	f->person.dn = person_dns[next(in, 2)];
	f->person.address = addresses[next(in, 3)];
	n = next(in, MAX_GROUPS + 1);
	for (i = 0; i < n; i++) {
		unsigned int g = next(in, GROUP_VOCABULARY_COUNT);

		f->groups[i].dn = group_vocabulary[g].dn;
		f->groups[i].names = group_vocabulary[g].names;
		f->groups[i].name_count = group_vocabulary[g].name_count;
	}
	f->person.groups = f->groups;
	f->person.group_count = n;

	f->target.dn = "cn=info,cn=functional_accounts,dc=example,dc=com";
	n = next(in, MAX_MEMBERS + 1);
	for (i = 0; i < n; i++) {
		unsigned int m = next(in, GROUP_VOCABULARY_COUNT + 4);

		f->members[i] = m < GROUP_VOCABULARY_COUNT ?
			group_vocabulary[m].dn :
			other_members[m - GROUP_VOCABULARY_COUNT];
	}
	f->target.members = f->members;
	f->target.member_count = n;

	n = next(in, MAX_VALUES + 1);
	for (i = 0; i < n; i++) {
		const char *id = identifiers[next(in, sizeof(identifiers) /
						      sizeof(identifiers[0]))];
		const char *right = with_case(arena, rights[next(in,
			sizeof(rights) / sizeof(rights[0]))], next(in, 256));
		const char *sep = spaces[next(in, 5)];

		f->values[i] = arena_printf(arena, "%s%s%s%s%s",
			edges[next(in, 5)], id, id[0] != '\0' ? sep : "",
			right, edges[next(in, 5)]);
	}
	f->target.acl_values = f->values;
	f->target.acl_value_count = n;
}

static void fail(const struct facts *f, const char *property)
{
	unsigned int i;

	fprintf(stderr, "fuzz-decide: %s\nperson %s <%s>, groups:", property,
		f->person.dn, f->person.address != NULL ?
		f->person.address : "(none)");
	for (i = 0; i < f->person.group_count; i++)
		fprintf(stderr, " %s", f->person.groups[i].dn);
	fprintf(stderr, "\nrules: members %s, acl %s, min_right %s\n",
		f->rules.member_attribute,
		f->rules.acl_attribute != NULL ? "on" : "off",
		acl_right_name(f->rules.min_right));
	for (i = 0; i < f->target.member_count; i++)
		fprintf(stderr, "member %s\n", f->target.members[i]);
	for (i = 0; i < f->target.acl_value_count; i++)
		fprintf(stderr, "acl \"%s\"\n", f->target.acl_values[i]);
	abort();
}

static struct grant_decision decide(struct arena *arena, const struct facts *f,
				    const struct grant_person *person,
				    const struct grant_target *target)
{
	struct grant_decision d;
	unsigned int i;

	grant_decide(arena, &f->rules, person, target, &d);
	if (d.granted && (d.incomplete || d.rule == NULL || d.reason != NULL ||
			  d.right < f->rules.min_right))
		fail(f, "a grant that is incomplete, below min_right or "
		     "without its rule");
	if (!d.granted && (d.reason == NULL || d.reason[0] == '\0'))
		fail(f, "a refusal without a reason");
	if (d.right < ACL_RIGHT_UNSET || d.right > ACL_RIGHT_ALL ||
	    d.ignored_value_count > target->acl_value_count)
		fail(f, "a right or a count out of range");
	for (i = 0; i < d.ignored_value_count; i++) {
		if (d.ignored_values == NULL || d.ignored_values[i] == NULL)
			fail(f, "an ignored value the caller cannot log");
	}
	return d;
}

static bool same(const struct grant_decision *a, const struct grant_decision *b)
{
	return a->granted == b->granted && a->incomplete == b->incomplete &&
		(a->incomplete || a->right == b->right);
}

/* words_start_with - identifier is name, or begins with name and a
   space: the words of a malformed value that may name name */
static bool words_start_with(const char *identifier, const char *name)
{
	size_t len = strlen(name);

	return strncmp(identifier, name, len) == 0 &&
		(identifier[len] == '\0' || identifier[len] == ' ');
}

struct acl_facts {
	bool any_malformed;
	bool malformed_names_person;
	/* weakest well-formed value naming the person, or UNSET */
	enum acl_right person_weakest;
	struct acl_value parsed[MAX_VALUES + 2];
	bool ok[MAX_VALUES + 2];
};

static void acl_facts(struct arena *arena, const struct facts *f,
		      const struct grant_target *target, struct acl_facts *a_r)
{
	const char *address = f->person.address, *error;
	unsigned int i;

	memset(a_r, 0, sizeof(*a_r));
	a_r->person_weakest = ACL_RIGHT_UNSET;
	for (i = 0; i < target->acl_value_count; i++) {
		a_r->ok[i] = acl_value_parse(arena, target->acl_values[i],
					     &a_r->parsed[i], &error) == 0;
		if (!a_r->ok[i]) {
			a_r->any_malformed = true;
			if (address != NULL &&
			    words_start_with(a_r->parsed[i].identifier, address))
				a_r->malformed_names_person = true;
		} else if (address != NULL &&
			   a_r->parsed[i].kind == ACL_IDENTIFIER_PERSON &&
			   strcmp(a_r->parsed[i].identifier, address) == 0 &&
			   (a_r->person_weakest == ACL_RIGHT_UNSET ||
			    a_r->parsed[i].right < a_r->person_weakest)) {
			a_r->person_weakest = a_r->parsed[i].right;
		}
	}
}

static bool is_member(const struct facts *f, const struct grant_person *person)
{
	unsigned int i, j;

	if (f->rules.member_attribute[0] == '\0')
		return false;
	for (i = 0; i < f->target.member_count; i++) {
		if (strcmp(f->target.members[i], person->dn) == 0)
			return true;
		for (j = 0; j < person->group_count; j++) {
			if (strcmp(f->target.members[i],
				   person->groups[j].dn) == 0)
				return true;
		}
	}
	return false;
}

static void check_order(struct arena *arena, const struct facts *f,
			const struct grant_decision *d)
{
	struct grant_group reversed_groups[MAX_GROUPS + 1];
	const char *reversed_values[MAX_VALUES + 1];
	struct grant_person person = f->person;
	struct grant_target target = f->target;
	struct grant_decision d2;
	unsigned int i, n;

	n = f->person.group_count;
	for (i = 0; i < n; i++)
		reversed_groups[i] = f->groups[n - 1 - i];
	person.groups = reversed_groups;
	n = f->target.acl_value_count;
	for (i = 0; i < n; i++)
		reversed_values[i] = f->values[n - 1 - i];
	target.acl_values = reversed_values;
	d2 = decide(arena, f, &person, &target);
	if (!same(d, &d2))
		fail(f, "the same facts in another order decide differently");
}

static void check_needs_groups(struct arena *arena, const struct facts *f,
			       struct input *in, const struct grant_decision *d)
{
	struct grant_person groupless = f->person, more = f->person;
	struct grant_group groups[MAX_GROUPS + 1];
	struct grant_decision d0, d2;
	unsigned int g = next(in, GROUP_VOCABULARY_COUNT);

	groupless.groups = NULL;
	groupless.group_count = 0;
	if (grant_needs_groups(arena, &f->rules, &groupless, &f->target) !=
	    grant_needs_groups(arena, &f->rules, &f->person, &f->target))
		fail(f, "grant_needs_groups looks at person->groups");
	if (grant_needs_groups(arena, &f->rules, &groupless, &f->target))
		return;
	memcpy(groups, f->groups, sizeof(groups));
	groups[f->person.group_count].dn = group_vocabulary[g].dn;
	groups[f->person.group_count].names = group_vocabulary[g].names;
	groups[f->person.group_count].name_count =
		group_vocabulary[g].name_count;
	more.groups = groups;
	more.group_count = f->person.group_count + 1;
	d0 = decide(arena, f, &groupless, &f->target);
	d2 = decide(arena, f, &more, &f->target);
	if (!same(&d0, d) || !same(&d0, &d2))
		fail(f, "grant_needs_groups said no, but groups change the "
		     "decision");
}

static void check_fewer_groups(struct arena *arena, const struct facts *f,
			       const struct acl_facts *a,
			       const struct grant_decision *d)
{
	struct grant_group groups[MAX_GROUPS + 1];
	struct grant_person person = f->person;
	struct grant_decision d2;
	unsigned int i, j, n;

	if (a->any_malformed || d->incomplete)
		return;
	for (i = 0; i < f->person.group_count; i++) {
		for (j = n = 0; j < f->person.group_count; j++) {
			if (j != i)
				groups[n++] = f->groups[j];
		}
		person.groups = groups;
		person.group_count = n;
		d2 = decide(arena, f, &person, &f->target);
		if (d2.incomplete)
			continue;
		if (d2.right > d->right || (d2.granted && !d->granted))
			fail(f, "removing a group raised the right");
	}
}

static void check_fewer_group_values(struct arena *arena,
				     const struct facts *f,
				     const struct acl_facts *a,
				     const struct grant_decision *d)
{
	const char *values[MAX_VALUES + 1];
	struct grant_target target = f->target;
	struct grant_decision d2;
	unsigned int i, j, n;

	if (a->any_malformed || d->incomplete)
		return;
	for (i = 0; i < f->target.acl_value_count; i++) {
		if (!a->ok[i] || a->parsed[i].kind == ACL_IDENTIFIER_PERSON)
			continue;
		/* every value of this identifier goes */
		for (j = n = 0; j < f->target.acl_value_count; j++) {
			if (!a->ok[j] || a->parsed[j].kind != a->parsed[i].kind ||
			    strcmp(a->parsed[j].identifier,
				   a->parsed[i].identifier) != 0)
				values[n++] = f->values[j];
		}
		target.acl_values = values;
		target.acl_value_count = n;
		d2 = decide(arena, f, &f->person, &target);
		/* with a nameless group, the identifier removed may have
		   been what made the unknown name irrelevant: undecidable
		   then, which never grants */
		if (d2.incomplete)
			continue;
		if (d2.right > d->right || (d2.granted && !d->granted))
			fail(f, "removing a group-layer identifier raised the "
			     "right");
	}
}

static void check_person_value_decides(struct arena *arena,
				       const struct facts *f,
				       const struct acl_facts *a,
				       const struct grant_decision *d)
{
	const char *values[MAX_VALUES + 1];
	struct grant_target target = f->target;
	struct grant_person groupless = f->person;
	struct grant_decision d2;
	unsigned int i, j, n;

	if (a->person_weakest == ACL_RIGHT_UNSET || a->malformed_names_person ||
	    f->rules.acl_attribute == NULL || is_member(f, &f->person) ||
	    d->incomplete)
		return;
	if (d->right != a->person_weakest)
		fail(f, "the person's own values do not decide");
	for (i = 0; i < f->target.acl_value_count; i++) {
		if (a->ok[i] && a->parsed[i].kind == ACL_IDENTIFIER_PERSON &&
		    strcmp(a->parsed[i].identifier, f->person.address) == 0)
			continue;
		for (j = n = 0; j < f->target.acl_value_count; j++) {
			if (j != i)
				values[n++] = f->values[j];
		}
		target.acl_values = values;
		target.acl_value_count = n;
		d2 = decide(arena, f, &f->person, &target);
		if (!same(d, &d2))
			fail(f, "the person's value decides, yet removing "
			     "another value changed the decision");
	}
	groupless.groups = NULL;
	groupless.group_count = 0;
	if (is_member(f, &groupless))
		return;
	d2 = decide(arena, f, &groupless, &f->target);
	if (!same(d, &d2))
		fail(f, "the person's value decides, yet her groups matter");
}

static void check_added_person_value(struct arena *arena,
				     const struct facts *f,
				     const struct acl_facts *a,
				     struct input *in)
{
	const char *values[MAX_VALUES + 2];
	struct grant_target target = f->target;
	struct grant_decision d2;
	enum acl_right right = (enum acl_right)next(in, ACL_RIGHT_COUNT),
		expected;
	unsigned int mask = next(in, 256), i, at;

	if (f->person.address == NULL || f->rules.acl_attribute == NULL ||
	    a->malformed_names_person || is_member(f, &f->person))
		return;
	expected = a->person_weakest != ACL_RIGHT_UNSET &&
		a->person_weakest < right ? a->person_weakest : right;
	at = next(in, f->target.acl_value_count + 1);
	for (i = 0; i < at; i++)
		values[i] = f->values[i];
	values[at] = arena_printf(arena, "%s%s%s%s%s", edges[next(in, 5)],
		with_case(arena, f->person.address, mask), spaces[next(in, 5)],
		with_case(arena, acl_right_name(right), next(in, 256)),
		edges[next(in, 5)]);
	for (i = at; i < f->target.acl_value_count; i++)
		values[i + 1] = f->values[i];
	target.acl_values = values;
	target.acl_value_count = f->target.acl_value_count + 1;
	d2 = decide(arena, f, &f->person, &target);
	if (d2.incomplete || d2.right != expected ||
	    d2.granted != (expected >= f->rules.min_right))
		fail(f, arena_printf(arena, "adding \"%s\" gave right %s%s, "
			"expected %s", values[at], acl_right_name(d2.right),
			d2.incomplete ? " (incomplete)" : "",
			acl_right_name(expected)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct grant_decision d, d_again;
	struct acl_facts a;
	struct facts f;
	struct arena arena;

	arena_init(&arena, 1024);
	decode(&arena, &in, &f);
	d = decide(&arena, &f, &f.person, &f.target);
	d_again = decide(&arena, &f, &f.person, &f.target);
	if (!same(&d, &d_again))
		fail(&f, "the same facts decide differently twice");
	acl_facts(&arena, &f, &f.target, &a);

	if (is_member(&f, &f.person) && (!d.granted || d.right != ACL_RIGHT_ALL))
		fail(&f, "a member does not get all");
	if (!is_member(&f, &f.person) && f.rules.acl_attribute == NULL &&
	    d.right != ACL_RIGHT_UNSET)
		fail(&f, "no rule applies, yet a right");
	if (!is_member(&f, &f.person) && f.rules.acl_attribute != NULL &&
	    a.malformed_names_person &&
	    (d.granted || d.incomplete || d.right != ACL_RIGHT_NONE))
		fail(&f, "a malformed value naming the person does not deny");

	check_order(&arena, &f, &d);
	check_needs_groups(&arena, &f, &in, &d);
	check_fewer_groups(&arena, &f, &a, &d);
	check_fewer_group_values(&arena, &f, &a, &d);
	check_person_value_decides(&arena, &f, &a, &d);
	check_added_person_value(&arena, &f, &a, &in);
	arena_free(&arena);
	return 0;
}
