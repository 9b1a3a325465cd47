/*
 * tandem-recordd's two protocols (docs/design.md, "Base station"): the client's, text lines over
 * the virtio console port, and the replication ring over the group's channel. Fixed-width types
 * only: host unit tests can include it too.
 *
 * Client -> server:  "R <seq> <payload>\n"  a record (seq from 1, decimal; payload 1..100 bytes,
 *                                           no newline)
 *                    "Q\n"                  "where are you?": the server answers with H
 * Server -> client:  "H <next> <generation> <role>\n"  on opening the port and on Q: the next
 *                                           sequence number it expects; the client then resends,
 *                                           in order, every record it holds unacknowledged
 *                    "A <seq>\n"            acknowledged: logged here and held by the standby
 *                                           (or, with no standby up, logged here)
 *                    "E <seq> <why>\n"      refused (malformed, too long)
 * The server logs records strictly in sequence: a record beyond the next expected one is dropped
 * (the client resends it after H); one it already holds (a resend after a failover) is
 * acknowledged again only if this server has not acknowledged it yet, never logged twice.
 *
 * The ring: the channel's payload (from offset 64) is cut into two areas, one per side; a side
 * writes only its own area. The active side publishes records in its area's slots, the standby
 * side copies them into its log and says how far it got in its own area's `confirmed`. Roles
 * swap by each side changing its own area's `role`.
 */
#ifndef TANDEM_RECORDD_H
#define TANDEM_RECORDD_H

#include <stdint.h>

#define REC_PAYLOAD_MAX 100U
#define REC_LINE_MAX	160U

/* One record, as logged (the log file is an array of these: record seq at (seq - 1) * 128) and as
 * published in a ring slot. */
struct rec_entry {
	uint64_t seq;	/* 0: empty (a slot being written) */
	uint32_t len;	/* payload bytes, 1..REC_PAYLOAD_MAX */
	uint32_t check; /* rec_check() of seq and payload */
	uint8_t payload[112];
};
_Static_assert(sizeof(struct rec_entry) == 128, "a log entry is 128 bytes");

#define REC_AREA_MAGIC	 0x43455254U /* "TREC" */
#define REC_AREA_VERSION 1U
#define REC_ROLE_ACTIVE	 1U
#define REC_ROLE_STANDBY 2U

struct rec_area {
	uint32_t magic, version;
	uint32_t role; /* REC_ROLE_*, or 0 */
	uint32_t link; /* the owner's channel link word when it took that role: its incarnation */
	uint32_t nr_slots; /* slots[] that follow */
	uint32_t reserved0;
	uint64_t published; /* active: the highest seq in slots[] */
	uint64_t confirmed; /* standby: every seq up to this one is in its log */
	uint64_t reserved[5];
	struct rec_entry slots[]; /* seq s in slots[(s - 1) % nr_slots] */
};
_Static_assert(sizeof(struct rec_area) == 80, "the area header is 80 bytes");

/* FNV-1a 32 over the sequence number (8 bytes, little-endian) and the payload. */
static inline uint32_t rec_check(uint64_t seq, const uint8_t *p, uint32_t len)
{
	uint32_t h = 2166136261U;

	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(seq >> (8 * i))) * 16777619U;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

/* The log's digest up to a record (what `tandem-recordd verify` prints and the client
 * recomputes): FNV-1a 64 chained over each record's rec_check(). */
static inline uint64_t rec_digest(uint64_t h, uint32_t check)
{
	for (int i = 0; i < 4; i++)
		h = (h ^ (uint8_t)(check >> (8 * i))) * 1099511628211ULL;
	return h;
}
#define REC_DIGEST_INIT 14695981039346656037ULL

/* The slots an area of `bytes` holds (0 if too small). */
static inline uint32_t rec_area_slots(uint64_t bytes)
{
	return bytes < sizeof(struct rec_area)
		   ? 0
		   : (uint32_t)((bytes - sizeof(struct rec_area)) / sizeof(struct rec_entry));
}

#endif
