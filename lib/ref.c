/* ref.c - parsing and formatting Docker image references.
 *
 * The grammar is distribution/reference's:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *   domain    := host [":" port]     (host: DNS labels, or [IPv6])
 *   path-component := [a-z0-9]+ (([._]|__|[-]+) [a-z0-9]+)*
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex   (algorithm: [A-Za-z][A-Za-z0-9]*
 *                                     joined by [+._-]; hex: 32+ digits)
 * Written out by hand rather than with regex(3): POSIX EREs cannot express
 * the grammar's alternations cheaply, and a hand parser gives each failure
 * its own message. */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include "errors.h"
#include "ref.h"
#include "util.h"

#define NAME_TOTAL_LENGTH_MAX 255

static const char invalid_format[] = "invalid reference format";

void ref_clear(struct ref *r)
{
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    memset(r, 0, sizeof *r);
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* One path component: alnum runs joined by ".", "_", "__" or dashes. */
static bool valid_path_component(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0]))
        return false;
    while (i < n) {
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return true;
        /* a separator, then at least one alnum */
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_')
                i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
        if (i == n || !is_lower_alnum(s[i]))
            return false;
    }
    return true;
}

static bool valid_dns_label(const char *s, size_t n)
{
    if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool valid_domain(const char *s, size_t n)
{
    size_t host_end = n;
    if (n > 0 && s[0] == '[') {
        /* IPv6 literal: hex digits, colons and dots between brackets */
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1)
            return false;
        for (const char *p = s + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return false;
        host_end = close - s + 1;
        if (host_end < n && s[host_end] != ':')
            return false;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon)
            host_end = colon - s;
        size_t start = 0;
        for (size_t i = 0; i <= host_end; i++) {
            if (i == host_end || s[i] == '.') {
                if (!valid_dns_label(s + start, i - start))
                    return false;
                start = i + 1;
            }
        }
    }
    if (host_end < n) {
        /* ":port" */
        if (host_end + 1 == n)
            return false;
        for (size_t i = host_end + 1; i < n; i++)
            if (!isdigit((unsigned char)s[i]))
                return false;
    }
    return true;
}

static bool valid_tag(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !is_word(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

static bool valid_digest(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return false;
    /* algorithm: components [A-Za-z][A-Za-z0-9]* joined by [+._-] */
    bool need_alpha = true;
    for (const char *p = s; p < colon; p++) {
        if (need_alpha) {
            if (!isalpha((unsigned char)*p))
                return false;
            need_alpha = false;
        } else if (*p == '+' || *p == '.' || *p == '_' || *p == '-') {
            need_alpha = true;
        } else if (!isalnum((unsigned char)*p)) {
            return false;
        }
    }
    if (need_alpha)
        return false;
    size_t hex = strlen(colon + 1);
    if (hex < 32)
        return false;
    for (const char *p = colon + 1; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return true;
}

static bool is_64_hex(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static bool has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            return true;
    return false;
}

int ref_parse(const char *s, struct ref *out, berth_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s || !*s)
        return berr(err, BERTH_EINVAL, "%s: repository name must have at least one component",
                    invalid_format);
    if (is_64_hex(s))
        return berr(err, BERTH_EINVAL,
                    "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);

    /* Split off "@digest" and ":tag" (a ':' after the last '/'). */
    const char *at = strchr(s, '@');
    size_t name_tag_len = at ? (size_t)(at - s) : strlen(s);
    const char *digest = at ? at + 1 : NULL;
    const char *last_slash = NULL, *last_colon = NULL;
    for (const char *p = s; p < s + name_tag_len; p++) {
        if (*p == '/')
            last_slash = p;
        else if (*p == ':')
            last_colon = p;
    }
    size_t name_len = name_tag_len;
    const char *tag = NULL;
    if (last_colon && (!last_slash || last_colon > last_slash)) {
        name_len = last_colon - s;
        tag = last_colon + 1;
    }
    if (name_len == 0)
        return berr(err, BERTH_EINVAL, "%s: repository name must have at least one component",
                    invalid_format);

    /* Docker's domain rule: the first component is a registry when it
     * looks like a host name (has '.' or ':', is "localhost", or has
     * uppercase letters, which repositories may not). */
    const char *slash = memchr(s, '/', name_len);
    const char *domain = REF_DEFAULT_DOMAIN;
    size_t domain_len = strlen(domain);
    const char *rest = s;
    size_t rest_len = name_len;
    if (slash) {
        size_t first = slash - s;
        bool is_domain = memchr(s, '.', first) || memchr(s, ':', first) ||
                         (first == 9 && memcmp(s, "localhost", 9) == 0) || has_upper(s, first);
        if (is_domain) {
            domain = s;
            domain_len = first;
            rest = slash + 1;
            rest_len = name_len - first - 1;
        }
    }
    if (domain_len == 15 && memcmp(domain, "index.docker.io", 15) == 0) {
        domain = REF_DEFAULT_DOMAIN;
        domain_len = strlen(domain);
    }
    bool docker_hub = domain_len == 9 && memcmp(domain, REF_DEFAULT_DOMAIN, 9) == 0;
    bool add_library = docker_hub && !memchr(rest, '/', rest_len);

    if (has_upper(rest, rest_len))
        return berr(err, BERTH_EINVAL, "%s: repository name must be lowercase", invalid_format);
    if (!valid_domain(domain, domain_len))
        return berr(err, BERTH_EINVAL, "%s", invalid_format);
    size_t start = 0;
    for (size_t i = 0; i <= rest_len; i++) {
        if (i == rest_len || rest[i] == '/') {
            if (!valid_path_component(rest + start, i - start))
                return berr(err, BERTH_EINVAL, "%s", invalid_format);
            start = i + 1;
        }
    }
    _cleanup_free_ char *tag_copy = tag ? xstrndup(tag, (at ? at : s + strlen(s)) - tag) : NULL;
    if (tag && !valid_tag(tag_copy))
        return berr(err, BERTH_EINVAL, "%s", invalid_format);
    if (digest && !valid_digest(digest))
        return berr(err, BERTH_EINVAL, "%s", invalid_format);

    size_t total = domain_len + 1 + (add_library ? 8 : 0) + rest_len;
    if (total > NAME_TOTAL_LENGTH_MAX)
        return berr(err, BERTH_EINVAL, "%s: repository name must not be more than %d characters",
                    invalid_format, NAME_TOTAL_LENGTH_MAX);

    out->domain = xstrndup(domain, domain_len);
    out->path =
        add_library ? xasprintf("library/%.*s", (int)rest_len, rest) : xstrndup(rest, rest_len);
    out->tag = steal_ptr(&tag_copy);
    out->digest = digest ? xstrdup(digest) : NULL;
    return 0;
}

void ref_default_tag(struct ref *r)
{
    if (!r->tag && !r->digest)
        r->tag = xstrdup(REF_DEFAULT_TAG);
}

char *ref_name(const struct ref *r)
{
    return xasprintf("%s/%s", r->domain, r->path);
}

static char *with_tag_digest(const struct ref *r, const char *name)
{
    return xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
                     r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *ref_string(const struct ref *r)
{
    _cleanup_free_ char *name = ref_name(r);
    return with_tag_digest(r, name);
}

char *ref_familiar_name(const struct ref *r)
{
    if (strcmp(r->domain, REF_DEFAULT_DOMAIN) != 0)
        return ref_name(r);
    const char *p = r->path;
    if (str_has_prefix(p, "library/") && !strchr(p + 8, '/'))
        p += 8;
    return xstrdup(p);
}

char *ref_familiar_string(const struct ref *r)
{
    _cleanup_free_ char *name = ref_familiar_name(r);
    return with_tag_digest(r, name);
}

int ref_normalize(const char *s, char **out, berth_error *err)
{
    _cleanup_ref_ struct ref r = { 0 };
    int rc = ref_parse(s, &r, err);
    if (rc < 0)
        return rc;
    ref_default_tag(&r);
    *out = ref_string(&r);
    return 0;
}

int ref_normalize_tag(const char *s, const char *verb, char **out, berth_error *err)
{
    _cleanup_ref_ struct ref r = { 0 };
    int rc = ref_parse(s, &r, err);
    if (rc < 0)
        return rc;
    if (r.digest)
        return berr(err, BERTH_EINVAL, "cannot %s with a digest reference", verb);
    ref_default_tag(&r);
    *out = ref_string(&r);
    return 0;
}

char *ref_familiar(const char *stored)
{
    _cleanup_ref_ struct ref r = { 0 };
    if (ref_parse(stored, &r, NULL) < 0)
        return xstrdup(stored);
    return ref_familiar_string(&r);
}

void ref_repo_tag(const char *stored, char **repo, char **tag)
{
    _cleanup_ref_ struct ref r = { 0 };
    if (ref_parse(stored, &r, NULL) < 0) {
        *repo = xstrdup(stored);
        *tag = xstrdup("<none>");
        return;
    }
    *repo = ref_familiar_name(&r);
    *tag = xstrdup(r.tag ? r.tag : "<none>");
}

bool ref_familiar_match(const char *pattern, const char *stored)
{
    _cleanup_ref_ struct ref r = { 0 };
    if (ref_parse(stored, &r, NULL) < 0)
        return false;
    _cleanup_free_ char *full = ref_familiar_string(&r);
    if (fnmatch(pattern, full, FNM_PATHNAME) == 0)
        return true;
    _cleanup_free_ char *name = ref_familiar_name(&r);
    return fnmatch(pattern, name, FNM_PATHNAME) == 0;
}
