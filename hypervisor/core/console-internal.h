/* Shared by the console's parts: output (console.c), stored lines (console_line.c), input queues
 * (console_rx.c). */
#ifndef TANDEM_CONSOLE_INTERNAL_H
#define TANDEM_CONSOLE_INTERNAL_H

#include <tandem/types.h>

struct vm;

#define LINE_LEN 256 /* a guest line longer than this is printed in pieces */

/* Where in an escape sequence a guest's output is. */
enum line_seq { SEQ_NONE, SEQ_ESC, SEQ_CSI, SEQ_STRING, SEQ_STRING_ESC };

/* A guest's unfinished line as the terminal shows it: printable text and a cursor. */
struct guest_line {
	char buf[LINE_LEN];
	size_t len; /* characters stored */
	size_t col; /* the cursor, at most len */
	bool cr;    /* a '\r' arrived and waits to see whether '\n' follows */
	enum line_seq seq;
	unsigned param;	 /* the CSI's numeric parameter so far */
	bool seq_hidden; /* the sequence began while the terminal's cursor was another source's */
};

enum line_put {
	LINE_TEXT,    /* c changed the stored line (text, backspace) */
	LINE_CONTROL, /* c is a control character or part of an escape sequence: not stored */
	LINE_FULL,    /* nothing done: the cursor is at LINE_LEN */
};

/* Applies one character of guest output other than '\r' and '\n' to l. */
enum line_put line_put(struct guest_line *l, char c);
/* Draws l with write(): its text, then backspaces back to its cursor. */
void line_draw(const struct guest_line *l, void (*write)(const char *s, size_t n));
/* Empties l's text (an escape sequence in progress stays in progress). */
void line_clear(struct guest_line *l);

/* Gives one typed character to vm: into its receive FIFO, or queued while that is full. */
void console_rx_deliver(struct vm *vm, char c);
/* Sets up the stall watchdog of the input queues (console_init). */
void console_rx_init(void);

#endif
