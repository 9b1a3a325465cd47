/* The RTOS's string and memory functions: the freestanding ones it shares with the hypervisor. */
#ifndef RTOS_KSTRING_H
#define RTOS_KSTRING_H

#include <common/string.h>

#endif
