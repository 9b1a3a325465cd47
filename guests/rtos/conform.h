/* Conformance checks against the architecture (conform.c): boot option conform=1. */
#ifndef RTOS_CONFORM_H
#define RTOS_CONFORM_H

#include <stdbool.h>

struct exc_frame;

/* Runs every check on the calling CPU (boot CPU, GIC up, no timer in use) and prints results. */
void conform_run(void);
/* A debug exception a check expects: recorded and handled (true), else false. */
bool conform_debug_exception(struct exc_frame *f);

#endif
