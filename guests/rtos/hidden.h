/* Forced into every RTOS compile (-include): every symbol is local to the image, so the compiler
 * addresses globals PC-relative (adrp/add) instead of through a GOT that needs relocating. */
#pragma GCC visibility push(hidden)
