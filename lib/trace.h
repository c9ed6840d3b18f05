/* trace.h - opt-in phase timings: with BERTH_TRACE=/path/to/file, every
 * trace_point() appends "<pid> <monotonic ns> <what>" to that file. Used to
 * see where the time of a `run` goes across the CLI, the engine and the
 * monitor; costs one getenv when off. */
#ifndef BERTH_TRACE_H
#define BERTH_TRACE_H

void trace_point(const char *what);

#endif
