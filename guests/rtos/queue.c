/*
 * Message queues: a ring of fixed-size items. When a receiver is already waiting, a send copies
 * straight into the receiver's buffer; when senders wait on a full queue, a receive pulls the
 * first sender's item in behind the ones queued. Either way the woken task finds its transfer
 * done, and FIFO order holds across the ring and the waiters.
 */
#include "kernel.h"
#include "kstring.h"

void msgq_init(struct msgq *q, void *buf, size_t item_size, unsigned capacity)
{
	q->buf = buf;
	q->item_size = item_size;
	q->capacity = capacity ? capacity : 1;
	q->head = 0;
	q->count = 0;
	wq_init(&q->senders);
	wq_init(&q->receivers);
}

static void *slot(struct msgq *q, unsigned i)
{
	return q->buf + (size_t)((q->head + i) % q->capacity) * q->item_size;
}

int msgq_send(struct msgq *q, const void *item, uint64_t timeout)
{
	unsigned long flags = klock_take();
	struct task *r = wq_first(&q->receivers);
	int ret = RTOS_OK;

	if (r) { /* the queue is empty and someone waits: hand it over */
		memcpy(r->xfer, item, q->item_size);
		sched_wake_locked(r, RTOS_OK);
	} else if (q->count < q->capacity) {
		memcpy(slot(q, q->count), item, q->item_size);
		q->count++;
	} else if (timeout == RTOS_NO_WAIT) {
		ret = RTOS_EAGAIN;
	} else {
		struct task *self = sched_current_locked();

		self->xfer = (void *)item; /* only read, by the receiver that takes it */
		ret = sched_block_locked(&q->senders, timeout);
	}
	klock_release(flags);
	return ret;
}

int msgq_receive(struct msgq *q, void *item, uint64_t timeout)
{
	unsigned long flags = klock_take();
	int ret = RTOS_OK;

	if (q->count) {
		struct task *s = wq_first(&q->senders);

		memcpy(item, slot(q, 0), q->item_size);
		q->head = (q->head + 1) % q->capacity;
		q->count--;
		if (s) { /* room now: the first blocked sender's item joins the tail */
			memcpy(slot(q, q->count), s->xfer, q->item_size);
			q->count++;
			sched_wake_locked(s, RTOS_OK);
		}
	} else if (timeout == RTOS_NO_WAIT) {
		ret = RTOS_EAGAIN;
	} else {
		struct task *self = sched_current_locked();

		self->xfer = item;
		ret = sched_block_locked(&q->receivers, timeout);
	}
	klock_release(flags);
	return ret;
}
