/* fuzz_signal.c - signal names and numbers (signals.c), as they arrive in
 * kill and stop requests and in a create request's StopSignal.
 *
 * Input: the signal text. Checks that an accepted signal is a real one and
 * that the name berth prints for it parses back to the same number. */
#include <signal.h>

#include <berth/container.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strdup(data, size);
    int signo = -1;
    berth_error err = BERTH_ERROR_INIT;
    if (berth_signal_parse(s, &signo, &err) < 0) {
        FUZZ_CHECK(err.code == BERTH_EINVAL && err.message[0], "error without a message");
        free(s);
        return 0;
    }
    FUZZ_CHECK(signo >= 1 && signo < NSIG, "%s parsed to %d", s, signo);
    const char *name = berth_signal_name(signo);
    if (name) {
        char *copy = strdup(name);
        int again = -1;
        FUZZ_CHECK(berth_signal_parse(copy, &again, &err) == 0, "name %s of %d does not parse",
                   copy, signo);
        FUZZ_CHECK(again == signo, "%s is %d, its name %s is %d", s, signo, copy, again);
        free(copy);
    }
    free(s);
    return 0;
}
