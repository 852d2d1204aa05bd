/*
 * test_ipc_lex.c - the IPC request tokenizer: quoting, escapes, ends of
 * line, embedded NULs, and bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "control/ipc_lex.h"

#define MAXTOK 8

struct lex_case {
	const char *input;
	size_t len;		/* 0: strlen(input) */
	const char *tokens[MAXTOK];	/* NULL-terminated; then the lexer must return 0 */
};

static const struct lex_case cases[] = {
	{ "", 0, { NULL } },
	{ "\n", 0, { NULL } },
	{ "   \t\v\f ", 0, { NULL } },
	{ "status verbose \n", 0, { "status", "verbose", NULL } },
	{ "  list\tcluster   x\r\n", 0, { "list", "cluster", "x", NULL } },
	{ "a\nb", 0, { "a", NULL } },
	{ "a \rb", 0, { "a", NULL } },
	{ "a\rb", 0, { "a", NULL } },
	{ "\"a b\" c", 0, { "a b", "c", NULL } },
	{ "x\"a b\"y z", 0, { "xa by", "z", NULL } },
	{ "\"a\\\"b\\\\c\"", 0, { "a\"b\\c", NULL } },
	{ "\"a\\nb\"", 0, { "a\\nb", NULL } },		/* other escapes kept as is */
	{ "a\\ b c", 0, { "a b", "c", NULL } },		/* backslash outside quotes */
	{ "a\\\"b", 0, { "a\"b", NULL } },
	{ "a\\\\b", 0, { "a\\b", NULL } },
	{ "ab\\", 0, { "ab", NULL } },			/* trailing backslash dropped */
	{ "ab\\\nc", 0, { "ab", NULL } },
	{ "\"unterminated", 0, { "unterminated", NULL } },
	{ "\"unterm\nx\" y", 0, { "unterm", NULL } },	/* newline ends a quote, and the input */
	{ "\"q\\", 0, { "q", NULL } },
	{ "\"q\\\ny", 0, { "q", NULL } },
	{ "\"\" x", 0, { "", "x", NULL } },		/* empty token: returns 0 like the end */
	{ "cluster \"we\\\"ird\\\\name\" ", 0, { "cluster", "we\"ird\\name", NULL } },
};

static void
run_case(const struct lex_case *c)
{
	struct ipc_lex lex;
	size_t len, i;
	char *tok;
	ssize_t n;

	len = c->len != 0 ? c->len : strlen(c->input);
	tok = malloc(len + 1);
	ipc_lex_init(&lex, c->input, len);
	for (i = 0; c->tokens[i] != NULL; i++) {
		n = ipc_lex_next(&lex, tok, len + 1);
		CHECK_EQ(n, strlen(c->tokens[i]));
		if (n >= 0 && strcmp(tok, c->tokens[i]) != 0) {
			check_failures++;
			fprintf(stderr, "input %s: token %zu is '%s', want '%s'\n", c->input, i,
			    tok, c->tokens[i]);
		}
	}
	n = ipc_lex_next(&lex, tok, len + 1);
	CHECK_EQ(n, 0);
	CHECK_EQ(tok[0], '\0');
	/* The end is sticky. */
	n = ipc_lex_next(&lex, tok, len + 1);
	CHECK_EQ(n, 0);
	if (n != 0)
		fprintf(stderr, "input '%s': more after the end: '%s'\n", c->input, tok);
	free(tok);
}

/* NUL bytes are ordinary token bytes; C-string users see a prefix. */
static void
test_nul(void)
{
	static const char in[] = "st\0at x";
	struct ipc_lex lex;
	char tok[16];

	ipc_lex_init(&lex, in, sizeof(in) - 1);
	CHECK_EQ(ipc_lex_next(&lex, tok, sizeof(tok)), 5);
	CHECK_MEM(tok, 6, "st\0at", 6);
	CHECK_EQ(strlen(tok), 2);
	CHECK_EQ(ipc_lex_next(&lex, tok, sizeof(tok)), 1);
	CHECK(strcmp(tok, "x") == 0);
}

/* A token buffer that is too small is never overrun. */
static void
test_bounds(void)
{
	struct ipc_lex lex;
	char tok[8];
	size_t i;

	memset(tok, 'Z', sizeof(tok));
	ipc_lex_init(&lex, "abcdefghij k", 12);
	CHECK_EQ(ipc_lex_next(&lex, tok, 5), -1);
	CHECK(strcmp(tok, "abcd") == 0);
	for (i = 5; i < sizeof(tok); i++)
		CHECK_EQ(tok[i], 'Z');
	/* The lexer moved past the long token and goes on. */
	CHECK_EQ(ipc_lex_next(&lex, tok, 5), 1);
	CHECK(strcmp(tok, "k") == 0);

	ipc_lex_init(&lex, "abc", 3);
	CHECK_EQ(ipc_lex_next(&lex, tok, 4), 3);
	ipc_lex_init(&lex, "abc", 3);
	CHECK_EQ(ipc_lex_next(&lex, tok, 3), -1);
	CHECK_EQ(ipc_lex_next(&lex, tok, 0), -1);

	/* Only len bytes are read: no terminator needed. */
	ipc_lex_init(&lex, "abcXYZ", 3);
	CHECK_EQ(ipc_lex_next(&lex, tok, sizeof(tok)), 3);
	CHECK(strcmp(tok, "abc") == 0);
	CHECK_EQ(ipc_lex_next(&lex, tok, sizeof(tok)), 0);
}

/* Every byte string of length <= 3 over a nasty alphabet: no overrun, and termination. */
static void
test_exhaustive(void)
{
	static const char alpha[] = { 'a', ' ', '"', '\\', '\n', '\r', '\0', '\t' };
	char in[3], tok[4];
	struct ipc_lex lex;
	size_t n, len, rounds;
	ssize_t r;

	for (n = 0; n < 8 * 8 * 8; n++) {
		in[0] = alpha[n % 8];
		in[1] = alpha[(n / 8) % 8];
		in[2] = alpha[n / 64];
		for (len = 0; len <= 3; len++) {
			ipc_lex_init(&lex, in, len);
			rounds = 0;
			do {
				r = ipc_lex_next(&lex, tok, len + 1);
				CHECK(r >= 0 && (size_t)r <= len);
				CHECK(lex.pos <= len);
			} while (r > 0 && ++rounds < 10);
			CHECK(rounds < 10);
		}
	}
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_nul();
	test_bounds();
	test_exhaustive();

	return (check_exit("test_ipc_lex"));
}
