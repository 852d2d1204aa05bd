/*
 * ipc_lex.h - tokenizer for the text requests of the IPC socket
 * (protocol.md 5.2).  Pure: no allocation, no globals.
 *
 * Tokens are separated by white space (space, \t, \n, \v, \f, \r).  A \n
 * or \r outside a token ends the input.  Outside quotes, a backslash makes
 * the next byte literal.  "..." quotes may appear anywhere in a token and
 * keep white space; inside them \" and \\ stand for " and \, any other
 * backslash is kept as is, and a \n or \r ends the token (and the input).
 * An empty token ("") cannot be told from the end of the input, exactly as
 * with upstream's lexer; callers stop at the first empty token.
 */
#ifndef QNETD_IPC_LEX_H
#define QNETD_IPC_LEX_H

#include <stddef.h>
#include <sys/types.h>

struct ipc_lex {
	const char *input; /* not owned; may hold NUL bytes */
	size_t len;
	size_t pos;
};

void ipc_lex_init(struct ipc_lex *lex, const char *input, size_t len);

/*
 * Store the next token in tok, NUL-terminated, and return its length
 * (a token may hold NUL bytes; callers that treat it as a C string see
 * what upstream sees).  Returns 0 at the end of the input, and -1 when
 * the token does not fit in toksize bytes (tok then holds a NUL-terminated
 * prefix).  toksize >= len + 1 always suffices.
 */
ssize_t ipc_lex_next(struct ipc_lex *lex, char *tok, size_t toksize);

#endif
