/* Error codes: functions that can fail return 0 or a negative ERR_* value. */
#ifndef TANDEM_ERRNO_H
#define TANDEM_ERRNO_H

enum {
	ERR_PERM = 1,  /* caller is not allowed to do this */
	ERR_NOENT = 2, /* named object does not exist */
	ERR_NOMEM = 12,
	ERR_BUSY = 16,
	ERR_EXIST = 17,
	ERR_INVAL = 22,
	ERR_RANGE = 34,
	ERR_NOTSUP = 95,
};

/* Short name of an error code, for log lines. */
const char *err_name(int err);

#endif
