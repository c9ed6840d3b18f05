/* errors.c - error codes, their HTTP statuses, and message formatting. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

int berth_code_http_status(int code)
{
    switch (code) {
    case BERTH_OK: return 200;
    case BERTH_EINVAL: return 400;
    case BERTH_ENOTFOUND: return 404;
    case BERTH_ECONFLICT: return 409;
    case BERTH_ENOTMODIFIED: return 304;
    case BERTH_EUNSUPPORTED: return 501;
    case BERTH_EUNAVAILABLE: return 503;
    default: return 500;
    }
}

void berth_error_clear(berth_error *err)
{
    if (err) {
        err->code = 0;
        err->message[0] = '\0';
    }
}

int berr(berth_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int berr_errno(berth_error *err, int code, int errnum, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof err->message)
            snprintf(err->message + n, sizeof err->message - n, ": %s", strerror(errnum));
        err->code = code;
    }
    return code;
}

int berr_prefix(berth_error *err, const char *fmt, ...)
{
    if (!err)
        return BERTH_EINTERNAL;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[sizeof prefix + sizeof err->message + 2];
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->message);
    size_t n = strlen(joined);
    if (n >= sizeof err->message)
        n = sizeof err->message - 1;
    memcpy(err->message, joined, n);
    err->message[n] = '\0';
    return err->code;
}
