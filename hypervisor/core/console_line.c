/*
 * A guest's stored partial line: what a terminal shows of it, so that the console can draw it
 * again after another source's line (console.c). A small terminal model: printable text with a
 * cursor, backspace, and the CSI sequences a shell's line editing moves and erases with (CUB,
 * CUF, EL, ED: ECMA-48 8.3.18/20/39/41). Every other control character and escape sequence is
 * recognised and left out, so that a redraw never replays a terminal query (a shell's ESC[6n,
 * which the terminal would answer into the guest's input) or a mode change.
 */
#include <tandem/string.h>
#include <tandem/types.h>

#include "console-internal.h"

#define ESC 0x1b
#define BEL 0x07
#define DEL 0x7f

/* A CSI's final byte: moves and erases change the stored line, everything else does not. */
static void csi_apply(struct guest_line *l, char final)
{
	size_t n = l->param ? l->param : 1;

	switch (final) {
	case 'D': /* CUB: cursor back */
		l->col -= MIN(n, l->col);
		break;
	case 'C': /* CUF: cursor forward; the cells passed over show blank if nothing was there */
		l->col = MIN(l->col + n, (size_t)LINE_LEN);
		while (l->len < l->col)
			l->buf[l->len++] = ' ';
		break;
	case 'K': /* EL: 0 from the cursor to the end, 1 from the start to the cursor, 2 all */
		if (l->param == 0)
			l->len = l->col;
		else
			memset(l->buf, ' ', l->param == 1 ? MIN(l->col + 1, l->len) : l->len);
		break;
	case 'J': /* ED 0: from the cursor to the end of the screen, this line's rest included */
		if (l->param == 0)
			l->len = l->col;
		break;
	default:
		break; /* SGR, cursor reports, modes: nothing a redraw should repeat */
	}
}

/* c continues an escape sequence; returns LINE_CONTROL (nothing is stored). */
static enum line_put seq_char(struct guest_line *l, unsigned char c)
{
	switch (l->seq) {
	case SEQ_ESC:
		if (c == '[') {
			l->seq = SEQ_CSI;
			l->param = 0;
		} else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
			l->seq = SEQ_STRING; /* OSC, DCS, SOS, PM, APC: a string up to BEL or ST */
		} else if (c < 0x20 || c >= 0x30) {
			l->seq = SEQ_NONE; /* its final byte (or a stray control: abandoned) */
		}
		break; /* 0x20-0x2f: intermediate bytes */
	case SEQ_CSI:
		if (c >= '0' && c <= '9') {
			if (l->param < 10000)
				l->param = l->param * 10 + (c - '0');
		} else if (c == ';') {
			l->param = 0; /* the last parameter counts (the ones applied take one) */
		} else if (c >= 0x40 && c < DEL) {
			l->seq = SEQ_NONE;
			csi_apply(l, (char)c);
		} else if (c < 0x20 || c >= DEL) {
			l->seq = SEQ_NONE; /* malformed: abandoned */
		}
		break; /* '?', '>', intermediates: part of the sequence */
	case SEQ_STRING:
		if (c == BEL)
			l->seq = SEQ_NONE;
		else if (c == ESC)
			l->seq = SEQ_STRING_ESC;
		break;
	case SEQ_STRING_ESC:
		l->seq = c == '\\' ? SEQ_NONE : SEQ_STRING; /* ESC \ is ST */
		break;
	default:
		l->seq = SEQ_NONE;
		break;
	}
	return LINE_CONTROL;
}

enum line_put line_put(struct guest_line *l, char c)
{
	unsigned char u = (unsigned char)c;

	if (l->seq != SEQ_NONE)
		return seq_char(l, u);
	if (u == ESC) {
		l->seq = SEQ_ESC;
		return LINE_CONTROL;
	}
	if (u == '\b') {
		l->col -= l->col ? 1 : 0;
		return LINE_TEXT;
	}
	if ((u < 0x20 && u != '\t') || u == DEL)
		return LINE_CONTROL; /* BEL, shift-in/out, ...: the live terminal's business only */
	if (l->col == LINE_LEN)
		return LINE_FULL;
	l->buf[l->col++] = c; /* text, including UTF-8 bytes (0x80 and up) */
	l->len = MAX(l->len, l->col);
	return LINE_TEXT;
}

void line_draw(const struct guest_line *l, void (*write)(const char *s, size_t n))
{
	write(l->buf, l->len);
	for (size_t i = l->col; i < l->len; i++)
		write("\b", 1);
}

void line_clear(struct guest_line *l)
{
	l->len = l->col = 0;
}
