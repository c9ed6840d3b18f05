/* fuzz_time.c - the time arguments clients send (util_time.c): --since and
 * --until (parse_time_arg), Go durations (parse_go_duration: healthcheck
 * intervals, timeouts) and RFC 3339 (parse_rfc3339: image configs' and
 * clients' timestamps).
 *
 * Input: the text. Besides memory safety and UBSan's overflow checks, it
 * checks that an RFC 3339 time berth accepts formats back (the way berth
 * prints every time) to a string that parses to the same instant. */
#include "fuzz_common.h"
#include "util.h"

/* A fixed "now", so that a crash reproduces. */
#define FUZZ_NOW ((int64_t)1700000000 * 1000000000 + 123456789)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* dates without a zone are local time: make that reproducible */
    setenv("TZ", "UTC", 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strdup(data, size);
    int64_t ns;

    (void)parse_time_arg(s, FUZZ_NOW, &ns);
    (void)parse_go_duration(s, &ns);
    if (parse_rfc3339(s, &ns) == 0 && ns > 0) {
        char buf[40], fixed[48];
        format_rfc3339nano(ns, buf, sizeof buf);
        int64_t again = 0;
        FUZZ_CHECK(parse_rfc3339(buf, &again) == 0, "%s -> %s does not parse", s, buf);
        FUZZ_CHECK(again == ns, "%s -> %lld -> %s -> %lld", s, (long long)ns, buf,
                   (long long)again);
        format_rfc3339nano_fixed(ns, fixed, sizeof fixed);
        FUZZ_CHECK(parse_rfc3339(fixed, &again) == 0 && again == ns, "%s -> %s", s, fixed);
        char human[64];
        human_duration(FUZZ_NOW - ns, human, sizeof human);
    }
    free(s);
    return 0;
}
