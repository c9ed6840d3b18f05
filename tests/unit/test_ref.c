/* test_ref.c - image references: normalization, familiar forms, and the
 * names Docker refuses, with Docker's messages. */
#include <stdio.h>
#include <string.h>

#include "ref.h"
#include "util.h"

static int failures;

static void expect_norm(const char *in, const char *want, const char *familiar)
{
    berth_error err = BERTH_ERROR_INIT;
    _cleanup_free_ char *got = NULL;
    int r = ref_normalize(in, &got, &err);
    if (r != 0) {
        fprintf(stderr, "FAIL: %s: unexpected error: %s\n", in, err.message);
        failures++;
        return;
    }
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "FAIL: %s normalized to %s, want %s\n", in, got, want);
        failures++;
    }
    _cleanup_free_ char *fam = ref_familiar(got);
    if (strcmp(fam, familiar) != 0) {
        fprintf(stderr, "FAIL: %s: familiar form %s, want %s\n", in, fam, familiar);
        failures++;
    }
}

static void expect_invalid(const char *in, const char *message)
{
    berth_error err = BERTH_ERROR_INIT;
    _cleanup_free_ char *got = NULL;
    int r = ref_normalize(in, &got, &err);
    if (r != BERTH_EINVAL) {
        fprintf(stderr, "FAIL: '%s' should be invalid, got %d (%s)\n", in, r, got ? got : "");
        failures++;
        return;
    }
    if (message && strcmp(err.message, message) != 0) {
        fprintf(stderr, "FAIL: '%s': message '%s', want '%s'\n", in, err.message, message);
        failures++;
    }
}

static void expect_repo_tag(const char *stored, const char *repo, const char *tag)
{
    _cleanup_free_ char *r = NULL, *t = NULL;
    ref_repo_tag(stored, &r, &t);
    if (strcmp(r, repo) != 0 || strcmp(t, tag) != 0) {
        fprintf(stderr, "FAIL: %s split into %s / %s, want %s / %s\n", stored, r, t, repo, tag);
        failures++;
    }
}

static void expect_match(const char *pattern, const char *stored, bool want)
{
    if (ref_familiar_match(pattern, stored) != want) {
        fprintf(stderr, "FAIL: pattern %s on %s should %smatch\n", pattern, stored,
                want ? "" : "not ");
        failures++;
    }
}

int main(void)
{
    static const char d64[] =
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char buf[512], buf2[512];

    expect_norm("busybox", "docker.io/library/busybox:latest", "busybox:latest");
    expect_norm("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36");
    expect_norm("library/busybox", "docker.io/library/busybox:latest", "busybox:latest");
    expect_norm("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest");
    expect_norm("index.docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest");
    expect_norm("docker.io/library/busybox:musl", "docker.io/library/busybox:musl", "busybox:musl");
    expect_norm("user/repo", "docker.io/user/repo:latest", "user/repo:latest");
    expect_norm("user/repo/deeper:v1", "docker.io/user/repo/deeper:v1", "user/repo/deeper:v1");
    expect_norm("localhost/foo", "localhost/foo:latest", "localhost/foo:latest");
    expect_norm("localhost:5000/a/b:t", "localhost:5000/a/b:t", "localhost:5000/a/b:t");
    expect_norm("localhost:5000", "docker.io/library/localhost:5000", "localhost:5000");
    expect_norm("registry.example.com/x", "registry.example.com/x:latest",
                "registry.example.com/x:latest");
    expect_norm("Registry.Example.com:443/x/y", "Registry.Example.com:443/x/y:latest",
                "Registry.Example.com:443/x/y:latest");
    expect_norm("[::1]:5000/img:tag", "[::1]:5000/img:tag", "[::1]:5000/img:tag");
    expect_norm("a.b/c", "a.b/c:latest", "a.b/c:latest");
    expect_norm("my_app-2.x__y", "docker.io/library/my_app-2.x__y:latest", "my_app-2.x__y:latest");
    expect_norm("a---b", "docker.io/library/a---b:latest", "a---b:latest");
    expect_norm("busybox:Latest_1.0-rc", "docker.io/library/busybox:Latest_1.0-rc",
                "busybox:Latest_1.0-rc");
    expect_norm("busybox:_under", "docker.io/library/busybox:_under", "busybox:_under");
    snprintf(buf, sizeof buf, "busybox@%s", d64);
    snprintf(buf2, sizeof buf2, "docker.io/library/busybox@%s", d64);
    expect_norm(buf, buf2, buf);
    snprintf(buf, sizeof buf, "busybox:1.36@%s", d64);
    snprintf(buf2, sizeof buf2, "docker.io/library/busybox:1.36@%s", d64);
    expect_norm(buf, buf2, buf);
    /* 128-character tag is the longest */
    char tag128[200];
    memset(tag128, 't', 128);
    tag128[128] = '\0';
    snprintf(buf, sizeof buf, "busybox:%s", tag128);
    snprintf(buf2, sizeof buf2, "docker.io/library/busybox:%s", tag128);
    expect_norm(buf, buf2, buf + 0);

    expect_invalid("",
                   "invalid reference format: repository name must have at least one component");
    expect_invalid("Busybox", "invalid reference format: repository name must be lowercase");
    expect_invalid("user/Repo", "invalid reference format: repository name must be lowercase");
    expect_invalid("localhost:5000/Abc",
                   "invalid reference format: repository name must be lowercase");
    expect_invalid("busybox:", "invalid reference format");
    expect_invalid(":tag",
                   "invalid reference format: repository name must have at least one component");
    expect_invalid("busybox:-bad", "invalid reference format");
    expect_invalid("busybox:.bad", "invalid reference format");
    expect_invalid("busybox:a/b", NULL);
    expect_invalid("bu sybox", "invalid reference format");
    expect_invalid("-busybox", "invalid reference format");
    expect_invalid("busybox-", "invalid reference format");
    expect_invalid("busy..box", "invalid reference format");
    expect_invalid("busy___box", "invalid reference format");
    expect_invalid("a//b", "invalid reference format");
    expect_invalid("/busybox", "invalid reference format");
    expect_invalid("busybox/", "invalid reference format");
    expect_invalid("localhost:/x", "invalid reference format");
    expect_invalid("localhost:50a0/x", "invalid reference format");
    expect_invalid("-host.com/x", "invalid reference format");
    expect_invalid("busybox@sha256:abc", "invalid reference format");
    expect_invalid("busybox@sha256", "invalid reference format");
    expect_invalid("busybox@", "invalid reference format");
    expect_invalid("busybox@sha256:zz23456789abcdef0123456789abcdef", "invalid reference format");
    snprintf(buf, sizeof buf, "busybox:%st", tag128);
    expect_invalid(buf, "invalid reference format");
    expect_invalid(d64 + 7, NULL); /* 64 hex digits: an ID, never a name */
    char longname[300];
    memset(longname, 'a', 260);
    longname[260] = '\0';
    expect_invalid(
        longname, "invalid reference format: repository name must not be more than 255 characters");

    expect_repo_tag("docker.io/library/busybox:latest", "busybox", "latest");
    expect_repo_tag("localhost:5000/a/b:t", "localhost:5000/a/b", "t");
    snprintf(buf, sizeof buf, "docker.io/library/busybox@%s", d64);
    expect_repo_tag(buf, "busybox", "<none>");

    expect_match("busybox", "docker.io/library/busybox:latest", true);
    expect_match("busybox:latest", "docker.io/library/busybox:latest", true);
    expect_match("busybox:1*", "docker.io/library/busybox:latest", false);
    expect_match("busy*", "docker.io/library/busybox:latest", true);
    expect_match("*", "docker.io/user/repo:latest", false); /* '*' stops at '/' */
    expect_match("*/*", "docker.io/user/repo:latest", true);
    expect_match("user/*:lat?st", "docker.io/user/repo:latest", true);
    expect_match("localhost:5000/a/*", "localhost:5000/a/b:t", true);

    /* ref_parse keeps what was given: no default tag */
    struct ref r;
    if (ref_parse("busybox", &r, NULL) != 0 || r.tag || r.digest ||
        strcmp(r.domain, "docker.io") != 0 || strcmp(r.path, "library/busybox") != 0) {
        fprintf(stderr, "FAIL: ref_parse(busybox) fields\n");
        failures++;
    }
    ref_clear(&r);

    if (failures) {
        fprintf(stderr, "test_ref: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_ref: all passed\n");
    return 0;
}
