/* fuzz_common.h - helpers shared by the libFuzzer targets: turning the
 * fuzzer's bytes into C strings, and failing loudly when an invariant of
 * the code under test does not hold (an abort is a crash to libFuzzer, so
 * the input is kept and minimized like any memory error). */
#ifndef BERTH_FUZZ_COMMON_H
#define BERTH_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant violated: %s: ", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The bytes as a NUL-terminated string (cut at the first NUL they hold).
 * Caller frees. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Splits the input at NUL bytes into at most max parts, each a fresh
 * NUL-terminated string; the last part takes the rest, NULs included (and
 * so is cut at its first one). Returns how many parts there were; parts
 * past that are set to NULL. Free each with free(). */
static inline size_t fuzz_split(const uint8_t *data, size_t size, char **parts, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i < max; i++)
        parts[i] = NULL;
    for (size_t i = 0; i < size && n + 1 < max; i++) {
        if (data[i] == 0) {
            parts[n++] = fuzz_strdup(data + start, i - start);
            start = i + 1;
        }
    }
    parts[n++] = fuzz_strdup(data + start, size - start);
    return n;
}

#endif
