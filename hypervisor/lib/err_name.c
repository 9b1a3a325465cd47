/* Error-code names for log lines (the codes are tandem/errno.h's). */
#include <tandem/errno.h>

const char *err_name(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "ok";
	case ERR_PERM:
		return "EPERM";
	case ERR_NOENT:
		return "ENOENT";
	case ERR_NOMEM:
		return "ENOMEM";
	case ERR_BUSY:
		return "EBUSY";
	case ERR_EXIST:
		return "EEXIST";
	case ERR_INVAL:
		return "EINVAL";
	case ERR_RANGE:
		return "ERANGE";
	case ERR_NOTSUP:
		return "ENOTSUP";
	default:
		return "E?";
	}
}
