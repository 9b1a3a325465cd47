/* The hypervisor's string and memory functions: the freestanding ones it shares with the RTOS. */
#ifndef TANDEM_STRING_H
#define TANDEM_STRING_H

#include <common/string.h>
#include <tandem/types.h>

#endif
