/* util_time.c - clocks and the time formats Docker clients send and expect:
 * Go's RFC3339Nano, Go durations and the --since/--until argument forms. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void format_rfc3339nano(int64_t ns, char *buf, size_t size)
{
    if (ns <= 0) {
        snprintf(buf, size, "0001-01-01T00:00:00Z");
        return;
    }
    time_t sec = ns / 1000000000;
    long frac = ns % 1000000000;
    struct tm tm;
    gmtime_r(&sec, &tm);
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= size)
        return;
    if (frac) {
        char f[16];
        snprintf(f, sizeof f, "%09ld", frac);
        for (int i = 8; i > 0 && f[i] == '0'; i--)
            f[i] = '\0';
        n += snprintf(buf + n, size - n, ".%s", f);
    }
    if ((size_t)n < size)
        snprintf(buf + n, size - n, "Z");
}

void format_rfc3339nano_fixed(int64_t ns, char *buf, size_t size)
{
    time_t sec = ns / 1000000000;
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ns % 1000000000));
}

/* Parses digits [min,max] long into *v; advances *p. */
static bool take_int(const char **p, int ndigits, int *v)
{
    int x = 0;
    for (int i = 0; i < ndigits; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += ndigits;
    *v = x;
    return true;
}

/* Parses "YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|±HH:MM]". With no zone the
 * time is local. Sets *complete when the time part had seconds. */
static int parse_datetime(const char *s, int64_t *out)
{
    const char *p = s;
    struct tm tm = { 0 };
    int y, mo, d, h = 0, mi = 0, sec = 0;
    long frac = 0;
    if (!take_int(&p, 4, &y) || *p++ != '-' || !take_int(&p, 2, &mo) || *p++ != '-' ||
        !take_int(&p, 2, &d))
        return -EINVAL;
    if (*p == 'T') {
        p++;
        if (!take_int(&p, 2, &h))
            return -EINVAL;
        if (*p == ':') {
            p++;
            if (!take_int(&p, 2, &mi))
                return -EINVAL;
            if (*p == ':') {
                p++;
                if (!take_int(&p, 2, &sec))
                    return -EINVAL;
                if (*p == '.') {
                    p++;
                    int digits = 0;
                    while (isdigit((unsigned char)*p)) {
                        if (digits < 9) {
                            frac = frac * 10 + (*p - '0');
                            digits++;
                        }
                        p++;
                    }
                    if (digits == 0)
                        return -EINVAL;
                    while (digits++ < 9)
                        frac *= 10;
                }
            }
        }
    }
    bool have_zone = false;
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        have_zone = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om;
        p++;
        if (!take_int(&p, 2, &oh) || *p++ != ':' || !take_int(&p, 2, &om))
            return -EINVAL;
        offset = sign * (oh * 3600L + om * 60L);
        have_zone = true;
    }
    if (*p)
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t;
    if (have_zone) {
        t = timegm(&tm) - offset;
    } else {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    }
    /* nanoseconds in an int64 reach from 1677 to 2262 */
    int64_t ns;
    if (__builtin_mul_overflow((int64_t)t, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, (int64_t)frac, &ns))
        return -ERANGE;
    *out = ns;
    return 0;
}

int parse_rfc3339(const char *s, int64_t *ns_out)
{
    return parse_datetime(s, ns_out);
}

int parse_go_duration(const char *s, int64_t *ns_out)
{
    const char *p = s;
    int sign = 1;
    if (*p == '-' || *p == '+') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if (strcmp(p, "0") == 0) {
        *ns_out = 0;
        return 0;
    }
    if (!*p)
        return -EINVAL;
    /* Go's grammar: [digits][.digits]unit, repeated; no exponents, no hex */
    long double total = 0;
    while (*p) {
        long double v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (*p == '.') {
            p++;
            long double scale = 0.1L;
            while (isdigit((unsigned char)*p)) {
                v += (*p++ - '0') * scale;
                scale /= 10;
                digits++;
            }
        }
        if (digits == 0)
            return -EINVAL;
        long double unit;
        if (strncmp(p, "ns", 2) == 0) {
            unit = 1;
            p += 2;
        } else if (strncmp(p, "us", 2) == 0) {
            unit = 1e3L;
            p += 2;
        } else if (strncmp(p, "\xc2\xb5s", 3) == 0) {
            unit = 1e3L;
            p += 3;
        } else if (strncmp(p, "ms", 2) == 0) {
            unit = 1e6L;
            p += 2;
        } else if (*p == 's') {
            unit = 1e9L;
            p++;
        } else if (*p == 'm') {
            unit = 60e9L;
            p++;
        } else if (*p == 'h') {
            unit = 3600e9L;
            p++;
        } else {
            return -EINVAL;
        }
        total += v * unit;
        if (total > 9223372036854775807.0L)
            return -ERANGE;
    }
    *ns_out = sign * (int64_t)total;
    return 0;
}

int parse_time_arg(const char *s, int64_t now, int64_t *ns_out)
{
    if (!s || !*s)
        return -EINVAL;
    int64_t d;
    if (parse_go_duration(s, &d) == 0 && strcmp(s, "0") != 0) {
        return __builtin_sub_overflow(now, d, ns_out) ? -ERANGE : 0;
    }
    if (parse_datetime(s, ns_out) == 0)
        return 0;
    /* Unix seconds with an optional fraction of up to nine digits. */
    const char *p = s;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    char *end;
    errno = 0;
    long long secs = strtoll(s, &end, 10);
    if (errno)
        return -EINVAL;
    long frac = 0;
    if (*end == '.') {
        const char *q = end + 1;
        int digits = 0;
        while (isdigit((unsigned char)*q) && digits < 9) {
            frac = frac * 10 + (*q - '0');
            digits++;
            q++;
        }
        if (*q || digits == 0)
            return -EINVAL;
        while (digits++ < 9)
            frac *= 10;
    } else if (*end) {
        return -EINVAL;
    }
    int64_t ns;
    if (__builtin_mul_overflow((int64_t)secs, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, (int64_t)frac, &ns))
        return -ERANGE;
    *ns_out = ns;
    return 0;
}

void human_duration(int64_t ns, char *buf, size_t size)
{
    double secs_f = (double)ns / 1e9;
    long secs = (long)secs_f;
    long mins = (long)(secs_f / 60);
    long hours = (long)(secs_f / 3600 + 0.5);
    if (secs < 1)
        snprintf(buf, size, "Less than a second");
    else if (secs == 1)
        snprintf(buf, size, "1 second");
    else if (secs < 60)
        snprintf(buf, size, "%ld seconds", secs);
    else if (mins == 1)
        snprintf(buf, size, "About a minute");
    else if (mins < 60)
        snprintf(buf, size, "%ld minutes", mins);
    else if (hours == 1)
        snprintf(buf, size, "About an hour");
    else if (hours < 48)
        snprintf(buf, size, "%ld hours", hours);
    else if (hours < 24 * 7 * 2)
        snprintf(buf, size, "%ld days", hours / 24);
    else if (hours < 24 * 30 * 2)
        snprintf(buf, size, "%ld weeks", hours / 24 / 7);
    else if (hours < 24 * 365 * 2)
        snprintf(buf, size, "%ld months", hours / 24 / 30);
    else
        snprintf(buf, size, "%ld years", (long)(secs_f / 3600) / 24 / 365);
}
