/* berth/error.h - how every fallible libberth call reports failure.
 *
 * A call returns 0 on success or one of the negative berth_code values, and
 * fills the caller's berth_error with the same code and a one-line message.
 * Codes map one to one onto the HTTP statuses the Docker Engine API uses.
 */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum berth_code {
    BERTH_OK = 0,
    BERTH_EINVAL = -1,       /* bad input (400) */
    BERTH_ENOTFOUND = -2,    /* no such object (404) */
    BERTH_ECONFLICT = -3,    /* name in use, object in use, wrong state (409) */
    BERTH_ENOTMODIFIED = -4, /* already in the requested state (304) */
    BERTH_EINTERNAL = -5,    /* the engine or the host failed (500) */
    BERTH_EUNSUPPORTED = -6, /* not implemented by berth (501) */
    BERTH_EUNAVAILABLE = -7, /* not available on this engine (503) */
} berth_code;

typedef struct berth_error {
    int code;
    char message[1024];
} berth_error;

#define BERTH_ERROR_INIT                                                                           \
    {                                                                                              \
        0,                                                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* The HTTP status that matches a berth_code (200 for BERTH_OK). */
int berth_code_http_status(int code);

/* Resets err to "no error". */
void berth_error_clear(berth_error *err);

#ifdef __cplusplus
}
#endif
#endif
