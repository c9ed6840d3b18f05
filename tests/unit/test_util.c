/* test_util.c - time formats and arguments, durations, signal names. */
#include <signal.h>
#include <stdlib.h>

#include <berth/container.h>

#include "check.h"
#include "util.h"

static void time_arg(const char *s, int64_t now, int64_t want)
{
    int64_t got = 0;
    int r = parse_time_arg(s, now, &got);
    CHECK(r == 0 && got == want, "%s: r=%d got %lld want %lld", s, r, (long long)got,
          (long long)want);
}

int main(void)
{
    char b[64];
    format_rfc3339nano(0, b, sizeof b);
    CHECK_STR(b, "0001-01-01T00:00:00Z");
    format_rfc3339nano(1700000000LL * 1000000000 + 120000000, b, sizeof b);
    CHECK_STR(b, "2023-11-14T22:13:20.12Z");
    format_rfc3339nano(1700000000LL * 1000000000, b, sizeof b);
    CHECK_STR(b, "2023-11-14T22:13:20Z");
    format_rfc3339nano_fixed(1700000000LL * 1000000000 + 5, b, sizeof b);
    CHECK_STR(b, "2023-11-14T22:13:20.000000005Z");

    setenv("TZ", "UTC", 1);
    int64_t now = 1700000000LL * 1000000000;
    time_arg("1700000000", now, 1700000000LL * 1000000000);
    time_arg("1700000000.5", now, 1700000000LL * 1000000000 + 500000000);
    /* the docker CLI's and docker-py's since/until of GET /events */
    time_arg("1700000000.123456789", now, 1700000000LL * 1000000000 + 123456789);
    time_arg("1700000000.000001", now, 1700000000LL * 1000000000 + 1000);
    time_arg("10m", now, now - 600LL * 1000000000);
    time_arg("1h30m", now, now - 5400LL * 1000000000);
    time_arg("2023-11-14T22:13:20Z", now, 1700000000LL * 1000000000);
    time_arg("2023-11-14T23:13:20+01:00", now, 1700000000LL * 1000000000);
    time_arg("2023-11-14T22:13:20.25Z", now, 1700000000LL * 1000000000 + 250000000);
    time_arg("2023-11-14", now, 1699920000LL * 1000000000);
    int64_t x;
    CHECK(parse_time_arg("yesterday", now, &x) < 0, "garbage accepted");
    CHECK(parse_time_arg("10x", now, &x) < 0, "bad unit accepted");
    /* what Go rejects, and what does not fit in int64 nanoseconds */
    CHECK(parse_go_duration("1e3s", &x) < 0, "exponent accepted");
    CHECK(parse_go_duration("0x10s", &x) < 0, "hex accepted");
    CHECK(parse_go_duration("3000000h", &x) < 0, "overflowing duration accepted");
    CHECK(parse_go_duration("1.5h", &x) == 0 && x == 5400LL * 1000000000, "1.5h");
    CHECK(parse_time_arg("-9000000000s", now, &x) < 0, "now minus overflow accepted");
    CHECK(parse_time_arg("99999999999", now, &x) < 0, "unix seconds overflow accepted");
    CHECK(parse_rfc3339("9999-01-01T00:00:00Z", &x) < 0, "year 9999 accepted");
    CHECK(parse_rfc3339("0024-01-01T00:00:00Z", &x) < 0, "year 24 accepted");

    struct {
        int64_t secs;
        const char *want;
    } d[] = { { 0, "Less than a second" }, { 1, "1 second" },         { 59, "59 seconds" },
              { 60, "About a minute" },    { 150, "2 minutes" },      { 3600, "About an hour" },
              { 7200, "2 hours" },         { 3 * 86400, "3 days" },   { 21 * 86400, "3 weeks" },
              { 90 * 86400, "3 months" },  { 800 * 86400, "2 years" } };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        human_duration(d[i].secs * 1000000000, b, sizeof b);
        CHECK_STR(b, d[i].want);
    }

    int s;
    berth_error err = BERTH_ERROR_INIT;
    CHECK(berth_signal_parse("SIGTERM", &s, &err) == 0 && s == SIGTERM, "SIGTERM");
    CHECK(berth_signal_parse("term", &s, &err) == 0 && s == SIGTERM, "term");
    CHECK(berth_signal_parse("9", &s, &err) == 0 && s == SIGKILL, "9");
    CHECK(berth_signal_parse("SIGRTMIN+2", &s, &err) == 0 && s == SIGRTMIN + 2, "RTMIN+2");
    CHECK(berth_signal_parse("SIGNOPE", &s, &err) == BERTH_EINVAL, "unknown name");
    CHECK(berth_signal_parse("0", &s, &err) == BERTH_EINVAL, "zero");
    CHECK(berth_signal_parse("999", &s, &err) == BERTH_EINVAL, "too big");
    CHECK_STR(berth_signal_name(SIGHUP), "SIGHUP");
    return check_exit();
}
