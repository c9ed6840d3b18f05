/* signals.c - signal names and numbers, from the C library's own table
 * (sigabbrev_np) rather than a hand-kept list, plus the SIGRTMIN+n and
 * SIGRTMAX-n forms Docker accepts. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <berth/container.h>

#include "errors.h"

static int parse_number(const char *s, int *out)
{
    if (!*s)
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 1000)
        return -1;
    *out = (int)v;
    return 0;
}

int berth_signal_parse(const char *text, int *signo, berth_error *err)
{
    if (!text || !*text)
        return berr(err, BERTH_EINVAL, "empty signal");
    int n;
    if (isdigit((unsigned char)text[0])) {
        if (parse_number(text, &n) < 0 || n < 1 || n >= NSIG)
            return berr(err, BERTH_EINVAL, "Invalid signal: %s", text);
        *signo = n;
        return 0;
    }
    const char *name = text;
    if (strncasecmp(name, "SIG", 3) == 0)
        name += 3;
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        bool min = strncasecmp(name, "RTMIN", 5) == 0;
        const char *rest = name + 5;
        int off = 0;
        if (*rest) {
            if ((min && *rest != '+') || (!min && *rest != '-') || parse_number(rest + 1, &off) < 0)
                return berr(err, BERTH_EINVAL, "Invalid signal: %s", text);
        }
        n = min ? SIGRTMIN + off : SIGRTMAX - off;
        if (n < SIGRTMIN || n > SIGRTMAX)
            return berr(err, BERTH_EINVAL, "Invalid signal: %s", text);
        *signo = n;
        return 0;
    }
    for (int i = 1; i < SIGRTMIN; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && strcasecmp(abbrev, name) == 0) {
            *signo = i;
            return 0;
        }
    }
    return berr(err, BERTH_EINVAL, "Invalid signal: %s", text);
}

const char *berth_signal_name(int signo)
{
    static __thread char buf[32];
    if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
        if (signo == SIGRTMIN)
            return "SIGRTMIN";
        if (signo == SIGRTMAX)
            return "SIGRTMAX";
        snprintf(buf, sizeof buf, "SIGRTMIN+%d", signo - SIGRTMIN);
        return buf;
    }
    const char *abbrev = signo > 0 ? sigabbrev_np(signo) : NULL;
    if (!abbrev)
        return NULL;
    snprintf(buf, sizeof buf, "SIG%s", abbrev);
    return buf;
}
