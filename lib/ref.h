/* ref.h - Docker image references ("busybox", "localhost:5000/a/b:t",
 * "name@sha256:...") following the distribution/reference grammar.
 *
 * A reference is stored in its normalized form, with the registry domain
 * and the "library/" namespace spelled out and a tag ("latest" when the
 * user gave neither tag nor digest): "docker.io/library/busybox:latest".
 * It is shown in its familiar form, with docker.io and library/ dropped:
 * "busybox:latest". Everything that accepts a reference from outside goes
 * through ref_parse, so invalid names fail with Docker's messages. */
#ifndef BERTH_REF_H
#define BERTH_REF_H

#include <stdbool.h>

#include <berth/error.h>

#define REF_DEFAULT_DOMAIN "docker.io"
#define REF_DEFAULT_TAG    "latest"

struct ref {
    char *domain; /* "docker.io", "localhost:5000" */
    char *path;   /* "library/busybox", "a/b" */
    char *tag;    /* NULL when the reference has none */
    char *digest; /* "sha256:<hex>", NULL when none */
};

/* Parses and normalizes s (domain and library/ added, no default tag).
 * On failure returns BERTH_EINVAL with Docker's message ("invalid
 * reference format...") and leaves *out empty. Release with ref_clear. */
int ref_parse(const char *s, struct ref *out, berth_error *err);
void ref_clear(struct ref *r);

static inline void cleanup_refp(struct ref *r)
{
    ref_clear(r);
}
#define _cleanup_ref_ __attribute__((cleanup(cleanup_refp)))

/* Sets the tag to "latest" when the reference has neither tag nor digest. */
void ref_default_tag(struct ref *r);

/* All returned strings are owned by the caller. */
/* "docker.io/library/busybox" */
char *ref_name(const struct ref *r);
/* "docker.io/library/busybox:latest", "...@sha256:..." */
char *ref_string(const struct ref *r);
/* "busybox", "localhost:5000/a/b" */
char *ref_familiar_name(const struct ref *r);
/* "busybox:latest" */
char *ref_familiar_string(const struct ref *r);

/* Parses s and returns its stored form (default tag added). */
int ref_normalize(const char *s, char **out, berth_error *err);

/* ref_normalize for a name to tag a new image with: a digest reference
 * is refused ("cannot <verb> with a digest reference"). */
int ref_normalize_tag(const char *s, const char *verb, char **out, berth_error *err);

/* The familiar form of a stored reference; a string that does not parse
 * is returned as it is. */
char *ref_familiar(const char *stored);

/* Splits a stored reference into the familiar repository and the tag, as
 * `images` shows them: ("busybox", "latest"); a digest reference without a
 * tag gives the tag "<none>". */
void ref_repo_tag(const char *stored, char **repo, char **tag);

/* Go's path.Match on the familiar form, as Docker's reference filter does:
 * pattern matches "busybox:latest", or "busybox" when the pattern has no
 * tag. */
bool ref_familiar_match(const char *pattern, const char *stored);

#endif
