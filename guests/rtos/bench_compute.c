/*
 * A CoreMark-style compute kernel, written for Tandem: per iteration a linked-list pass (build,
 * merge sort by value, search, sort back by index), a small integer matrix multiply, and a
 * state machine that classifies number-like tokens, each result folded into a CRC-16. It touches
 * only its own static data and never calls into the kernel, so any time it takes beyond its
 * instructions comes from outside the guest (under a hypervisor: EL2 entries).
 */
#include <stddef.h>

#include "bench.h"

#define LIST_N	 64
#define MATRIX_N 12

struct node {
	struct node *next;
	int16_t value;
	uint16_t index;
};

static struct node nodes[LIST_N];

uint16_t bench_crc16(uint16_t crc, const void *data, unsigned len)
{
	const uint8_t *p = data;

	for (unsigned i = 0; i < len; i++) {
		crc ^= p[i];
		for (unsigned b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

static uint16_t crc_u32(uint16_t crc, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	return bench_crc16(crc, b, sizeof(b));
}

/* Merge sort of a singly linked list, by value (by_index = 0) or by index. */
static struct node *list_sort(struct node *head, int by_index)
{
	for (unsigned width = 1;; width *= 2) {
		struct node *p = head, *tail = NULL;
		unsigned merges = 0;

		head = NULL;
		while (p) {
			struct node *q = p;
			unsigned psize = 0, qsize = width;

			merges++;
			while (psize < width && q) {
				psize++;
				q = q->next;
			}
			while (psize || (qsize && q)) {
				struct node *e;
				int take_p;

				if (!psize)
					take_p = 0;
				else if (!qsize || !q)
					take_p = 1;
				else if (by_index)
					take_p = p->index <= q->index;
				else
					take_p = p->value <= q->value;
				if (take_p) {
					e = p;
					p = p->next;
					psize--;
				} else {
					e = q;
					q = q->next;
					qsize--;
				}
				if (tail)
					tail->next = e;
				else
					head = e;
				tail = e;
			}
			p = q;
		}
		if (!tail)
			return NULL; /* an empty list */
		tail->next = NULL;
		if (merges <= 1)
			return head;
	}
}

static uint16_t list_bench(uint16_t crc, uint32_t seed)
{
	struct node *head = NULL;
	uint32_t found = 0;

	for (unsigned i = 0; i < LIST_N; i++) {
		seed = seed * 1103515245U + 12345U;
		nodes[i].value = (int16_t)(seed >> 16);
		nodes[i].index = (uint16_t)i;
		nodes[i].next = head;
		head = &nodes[i];
	}
	head = list_sort(head, 0);
	for (unsigned k = 0; k < 8; k++) { /* search for values that may or may not be there */
		int16_t want = nodes[(k * 7) % LIST_N].value ^ (int16_t)(k & 1);

		for (const struct node *n = head; n; n = n->next)
			if (n->value == want) {
				found += n->index;
				break;
			}
	}
	for (const struct node *n = head; n; n = n->next)
		crc = crc_u32(crc, (uint16_t)n->value);
	head = list_sort(head, 1);
	return crc_u32(crc, found + head->index);
}

static uint16_t matrix_bench(uint16_t crc, uint32_t seed)
{
	static int16_t a[MATRIX_N][MATRIX_N], b[MATRIX_N][MATRIX_N];
	static int32_t c[MATRIX_N][MATRIX_N];

	for (unsigned i = 0; i < MATRIX_N; i++)
		for (unsigned j = 0; j < MATRIX_N; j++) {
			seed = seed * 1664525U + 1013904223U;
			a[i][j] = (int16_t)((seed >> 20) & 0xff) - 128;
			b[i][j] = (int16_t)((seed >> 8) & 0xff) - 128;
		}
	for (unsigned i = 0; i < MATRIX_N; i++)
		for (unsigned j = 0; j < MATRIX_N; j++) {
			int32_t s = 0;

			for (unsigned k = 0; k < MATRIX_N; k++)
				s += a[i][k] * b[k][j];
			c[i][j] = s;
		}
	for (unsigned i = 0; i < MATRIX_N; i++)
		crc = crc_u32(crc, (uint32_t)c[i][(i * 5) % MATRIX_N]);
	return crc;
}

enum token_kind { TOK_INT, TOK_FLOAT, TOK_SCI, TOK_BAD, TOK_KINDS };

/* Classifies one token: [+-]digits, then optionally .digits, then optionally e[+-]digits. */
static enum token_kind classify(const char *s, unsigned len)
{
	enum { START, SIGN, INT, DOT, FRAC, EXP, EXPSIGN, EXPDIGITS, BAD } st = START;

	for (unsigned i = 0; i < len && st != BAD; i++) {
		char ch = s[i];
		int digit = ch >= '0' && ch <= '9';

		switch (st) {
		case START:
			st = digit ? INT : (ch == '+' || ch == '-') ? SIGN : BAD;
			break;
		case SIGN:
			st = digit ? INT : BAD;
			break;
		case INT:
			st = digit ? INT : ch == '.' ? DOT : (ch == 'e' || ch == 'E') ? EXP : BAD;
			break;
		case DOT:
		case FRAC:
			st = digit ? FRAC : (st == FRAC && (ch == 'e' || ch == 'E')) ? EXP : BAD;
			break;
		case EXP:
			st = digit ? EXPDIGITS : (ch == '+' || ch == '-') ? EXPSIGN : BAD;
			break;
		case EXPSIGN:
		case EXPDIGITS:
			st = digit ? EXPDIGITS : BAD;
			break;
		default:
			break;
		}
	}
	return st == INT ? TOK_INT : st == FRAC ? TOK_FLOAT : st == EXPDIGITS ? TOK_SCI : TOK_BAD;
}

static uint16_t state_bench(uint16_t crc, uint32_t seed)
{
	static const char *const tokens[] = {"5012", "-17",    "+3.25", "1.0e-7", "42e3", "--1",
					     "7.",   "0.5E+2", "abc",	"-0",	  "1e",	  "9.99"};
	uint32_t counts[TOK_KINDS] = {0};
	const unsigned nt = sizeof(tokens) / sizeof(tokens[0]);

	for (unsigned r = 0; r < 16; r++) {
		const char *t = tokens[(seed + r * 5) % nt];
		unsigned len = 0;

		while (t[len])
			len++;
		counts[classify(t, len)]++;
	}
	for (unsigned k = 0; k < TOK_KINDS; k++)
		crc = crc_u32(crc, counts[k]);
	return crc;
}

uint16_t bench_compute(unsigned iters)
{
	uint16_t crc = 0;

	for (unsigned i = 0; i < iters; i++) {
		crc = list_bench(crc, i);
		crc = matrix_bench(crc, i * 31 + 7);
		crc = state_bench(crc, i);
	}
	return crc;
}
