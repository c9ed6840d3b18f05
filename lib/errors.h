/* errors.h - filling a berth_error from inside the library. */
#ifndef BERTH_ERRORS_H
#define BERTH_ERRORS_H

#include <berth/error.h>

/* Sets err (may be NULL) to code and the formatted message; returns code. */
int berr(berth_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As berr, appending ": strerror(errnum)". */
int berr_errno(berth_error *err, int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefixes the message already in err with the formatted text and ": ";
 * returns err->code. */
int berr_prefix(berth_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
