/* Intrusive doubly linked lists: run queues, wait queues, timeout lists. No allocation anywhere. */
#ifndef RTOS_LIST_H
#define RTOS_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define list_entry(node, type, member)	container_of(node, type, member)

/* Makes `n` an empty list head, or an unlinked node (list_linked() false). */
static inline void list_init(struct list_node *n)
{
	n->next = n;
	n->prev = n;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* True if the node is on some list (nodes are re-initialised when removed). */
static inline bool list_linked(const struct list_node *n)
{
	return n->next != n;
}

/* Inserts `n` before `pos` (at the tail when pos is the head). */
static inline void list_insert_before(struct list_node *pos, struct list_node *n)
{
	n->prev = pos->prev;
	n->next = pos;
	pos->prev->next = n;
	pos->prev = n;
}

static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	list_insert_before(head, n);
}

static inline void list_add_head(struct list_node *head, struct list_node *n)
{
	list_insert_before(head->next, n);
}

/* Unlinks `n` and leaves it unlinked, so a second list_del() is harmless. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#endif
