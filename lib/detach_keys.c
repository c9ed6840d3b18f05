/* detach_keys.c - Docker's detach keys ("ctrl-p,ctrl-q"): parsing the
 * spec and finding the sequence in what a client types. */
#include <string.h>

#include <berth/container.h>

#include "errors.h"

int berth_detach_keys_parse(const char *spec, berth_detach_keys *out, berth_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        spec = "ctrl-p,ctrl-q";
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (out->len >= sizeof out->seq)
            goto bad;
        if (n == 6 && strncmp(p, "ctrl-", 5) == 0) {
            char c = p[5];
            if (c >= 'a' && c <= 'z')
                out->seq[out->len++] = (unsigned char)(c - 'a' + 1);
            else if (c == '@')
                out->seq[out->len++] = 0;
            else if (c == '[' || c == '\\' || c == ']' || c == '^' || c == '_')
                out->seq[out->len++] = (unsigned char)(c - '@');
            else
                goto bad;
        } else if (n == 1) {
            out->seq[out->len++] = (unsigned char)p[0];
        } else {
            goto bad;
        }
        if (!end)
            break;
        p = end + 1;
        if (!*p)
            goto bad;
    }
    if (out->len)
        return 0;
bad:
    out->len = 0;
    return berr(err, BERTH_EINVAL, "Invalid detach keys (%s) provided", spec);
}

size_t berth_detach_keys_scan(berth_detach_keys *k, const void *buf, size_t n, bool *detached)
{
    const unsigned char *p = buf;
    *detached = false;
    for (size_t i = 0; i < n && k->len; i++) {
        if (p[i] == k->seq[k->matched]) {
            if (++k->matched == k->len) {
                k->matched = 0;
                *detached = true;
                /* the sequence's bytes of this buffer stay out */
                return i + 1 >= k->len ? i + 1 - k->len : 0;
            }
        } else {
            k->matched = p[i] == k->seq[0] ? 1 : 0;
        }
    }
    return n;
}
