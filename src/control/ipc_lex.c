/*
 * ipc_lex.c - tokenizer for IPC requests.  See ipc_lex.h for the rules;
 * they are upstream's (QUOTE mode), since the tool and other clients
 * already quote cluster names that way.
 */
#include "control/ipc_lex.h"

enum lex_state {
	LEX_SKIP_SPACE,
	LEX_WORD,
	LEX_WORD_BACKSLASH,
	LEX_QUOTED,
	LEX_QUOTED_BACKSLASH,
	LEX_DONE,
};

struct lex_out {
	char *tok;
	size_t size;
	size_t len;
	int overflow;
};

/* Locale-independent on purpose: this parses a protocol. */
static int
lex_is_space(char c)
{

	return (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r');
}

static int
lex_is_eol(char c)
{

	return (c == '\n' || c == '\r');
}

static void
lex_emit(struct lex_out *out, char c)
{

	if (out->len + 1 >= out->size) {
		out->overflow = 1;
		return;
	}
	out->tok[out->len++] = c;
}

void
ipc_lex_init(struct ipc_lex *lex, const char *input, size_t len)
{

	lex->input = input;
	lex->len = len;
	lex->pos = 0;
}

/* One step of the state machine over byte c (the input is not at its end). */
static enum lex_state
lex_step(enum lex_state st, char c, size_t *pos, struct lex_out *out)
{

	switch (st) {
	case LEX_SKIP_SPACE:
		if (lex_is_eol(c))
			return (LEX_DONE);
		if (lex_is_space(c)) {
			(*pos)++;
			return (st);
		}
		return (LEX_WORD);
	case LEX_WORD:
		if (lex_is_space(c))
			return (LEX_DONE);
		(*pos)++;
		if (c == '\\')
			return (LEX_WORD_BACKSLASH);
		if (c == '"')
			return (LEX_QUOTED);
		lex_emit(out, c);
		return (st);
	case LEX_WORD_BACKSLASH:
		if (lex_is_eol(c))
			return (LEX_DONE); /* a trailing backslash is dropped */
		(*pos)++;
		lex_emit(out, c);
		return (LEX_WORD);
	case LEX_QUOTED:
		if (lex_is_eol(c))
			return (LEX_DONE); /* unterminated quote: the token ends here */
		(*pos)++;
		if (c == '\\')
			return (LEX_QUOTED_BACKSLASH);
		if (c == '"')
			return (LEX_WORD);
		lex_emit(out, c);
		return (st);
	case LEX_QUOTED_BACKSLASH:
		if (lex_is_eol(c))
			return (LEX_DONE);
		(*pos)++;
		if (c != '\\' && c != '"')
			lex_emit(out, '\\');
		lex_emit(out, c);
		return (LEX_QUOTED);
	case LEX_DONE:
		break;
	}

	return (LEX_DONE);
}

ssize_t
ipc_lex_next(struct ipc_lex *lex, char *tok, size_t toksize)
{
	struct lex_out out;
	enum lex_state st;
	size_t pos;

	if (toksize == 0)
		return (-1);
	out.tok = tok;
	out.size = toksize;
	out.len = 0;
	out.overflow = 0;

	pos = lex->pos;
	st = LEX_SKIP_SPACE;
	while (st != LEX_DONE && pos < lex->len)
		st = lex_step(st, lex->input[pos], &pos, &out);

	tok[out.len] = '\0';
	lex->pos = pos;

	return (out.overflow ? -1 : (ssize_t)out.len);
}
