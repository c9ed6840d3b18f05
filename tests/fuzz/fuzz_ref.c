/* fuzz_ref.c - image references (ref.c) as a client sends them: in pull,
 * create, tag and the `reference` filter.
 *
 * Input: the reference text. Besides memory safety it checks that the
 * stored form is a fixed point (parsing "docker.io/library/x:latest"
 * gives it back unchanged: the image store keys on it) and that a
 * reference matches its own familiar form, as `images --filter
 * reference=...` relies on. The familiar form is not checked to parse
 * back to the same name: as in Docker it need not ("docker.io/a.b/c" is
 * shown as "a.b/c", which names the registry a.b). */
#include "fuzz_common.h"
#include "ref.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strdup(data, size);
    struct ref r;
    berth_error err = BERTH_ERROR_INIT;
    if (ref_parse(s, &r, &err) < 0) {
        FUZZ_CHECK(err.code == BERTH_EINVAL && err.message[0], "error without a message");
        FUZZ_CHECK(!r.domain && !r.path && !r.tag && !r.digest, "failed parse left fields set");
        /* the helpers that tolerate unparsable stored names */
        char *fam = ref_familiar(s);
        FUZZ_CHECK(strcmp(fam, s) == 0, "ref_familiar changed an unparsable name");
        free(fam);
        char *repo, *tag;
        ref_repo_tag(s, &repo, &tag);
        free(repo);
        free(tag);
        FUZZ_CHECK(!ref_familiar_match("*", s), "an unparsable name matched");
        free(s);
        return 0;
    }
    FUZZ_CHECK(r.domain && r.path, "parsed reference without domain or path");
    ref_default_tag(&r);
    char *stored = ref_string(&r);
    char *name = ref_name(&r);
    char *fam_name = ref_familiar_name(&r);
    char *fam = ref_familiar_string(&r);

    /* the stored form is a fixed point */
    char *again = NULL;
    berth_error err2 = BERTH_ERROR_INIT;
    FUZZ_CHECK(ref_normalize(stored, &again, &err2) == 0, "stored form %s does not parse: %s",
               stored, err2.message);
    FUZZ_CHECK(strcmp(again, stored) == 0, "%s normalizes to %s", stored, again);
    char *norm = NULL;
    FUZZ_CHECK(ref_normalize(s, &norm, &err2) == 0, "ref_normalize failed where ref_parse did not");
    FUZZ_CHECK(strcmp(norm, stored) == 0, "ref_normalize %s != %s", norm, stored);

    /* a reference matches its own familiar form: path.Match treats it
     * as a literal unless it holds '[' (only an IPv6 domain can) */
    if (!strchr(fam, '['))
        FUZZ_CHECK(ref_familiar_match(fam, stored), "%s does not match %s", fam, stored);
    char *fam2 = ref_familiar(stored);
    FUZZ_CHECK(strcmp(fam2, fam) == 0, "ref_familiar %s != %s", fam2, fam);
    char *repo, *tag;
    ref_repo_tag(stored, &repo, &tag);
    FUZZ_CHECK(strcmp(repo, fam_name) == 0, "repo %s != %s", repo, fam_name);
    /* and the input as a filter pattern does not crash */
    (void)ref_familiar_match(s, stored);

    free(repo);
    free(tag);
    free(fam2);
    free(norm);
    free(again);
    free(fam);
    free(fam_name);
    free(name);
    free(stored);
    ref_clear(&r);
    free(s);
    return 0;
}
