/* test_prune_filter.c - Docker's prune filters: which keys and values are
 * accepted, and moby's matching of until, label and label!. */
#include <stdlib.h>

#include <jansson.h>

#include "check.h"
#include "prune_filter.h"
#include "util.h"

#define S 1000000000LL

static const int64_t NOW = 1700000000LL * S;

static int parse(const char *text, bool images, struct prune_filter *f, berth_error *err)
{
    berth_error_clear(err);
    return prune_filter_parse(text, images, NOW, f, err);
}

/* Whether the filters in text select an object created at created with
 * the labels in labels_json. */
static bool selects(const char *text, int64_t created, const char *labels_json)
{
    struct prune_filter f;
    berth_error err = BERTH_ERROR_INIT;
    if (parse(text, false, &f, &err) < 0) {
        CHECK(0, "%s: %s", text, err.message);
        return false;
    }
    json_t *labels = labels_json ? json_loads(labels_json, 0, NULL) : NULL;
    bool r = prune_filter_match(&f, created, labels);
    json_decref(labels);
    prune_filter_clear(&f);
    return r;
}

static void rejected(const char *text, bool images, const char *message)
{
    struct prune_filter f;
    berth_error err = BERTH_ERROR_INIT;
    int r = parse(text, images, &f, &err);
    CHECK(r == BERTH_EINVAL, "%s: accepted (r=%d)", text, r);
    CHECK_STR(err.message, message);
    prune_filter_clear(&f);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    struct prune_filter f;
    berth_error err = BERTH_ERROR_INIT;

    /* no filters: everything, and images default to dangling only */
    CHECK_INT(parse(NULL, true, &f, &err), 0);
    CHECK(f.dangling && !f.have_until && !f.labels && !f.not_labels, "defaults");
    prune_filter_clear(&f);
    CHECK_INT(parse("{}", true, &f, &err), 0);
    prune_filter_clear(&f);
    CHECK(selects(NULL, NOW, NULL), "no filter selects all");
    CHECK(selects("{}", NOW, "{\"a\":\"b\"}"), "empty filters select all");

    /* unknown keys and bad documents */
    rejected("{\"status\":[\"exited\"]}", false, "Invalid filter 'status'");
    rejected("{\"dangling\":[\"true\"]}", false, "Invalid filter 'dangling'");
    rejected("{\"label\":[1]}", false, "Invalid filter 'label'");
    rejected("{\"until\":5}", false, "Invalid filter 'until'");
    rejected("[\"label\"]", false, "invalid filters: not an object");
    {
        struct prune_filter g;
        CHECK(parse("{\"label\":", false, &g, &err) == BERTH_EINVAL, "broken JSON accepted");
        prune_filter_clear(&g);
    }

    /* dangling: true/1 and false/0; both, none or anything else is invalid */
    CHECK_INT(parse("{\"dangling\":[\"false\"]}", true, &f, &err), 0);
    CHECK(!f.dangling, "dangling=false");
    prune_filter_clear(&f);
    CHECK_INT(parse("{\"dangling\":{\"0\":true}}", true, &f, &err), 0);
    CHECK(!f.dangling, "dangling=0, old form");
    prune_filter_clear(&f);
    CHECK_INT(parse("{\"dangling\":[\"1\"]}", true, &f, &err), 0);
    CHECK(f.dangling, "dangling=1");
    prune_filter_clear(&f);
    CHECK_INT(parse("{\"dangling\":[\"True\"]}", true, &f, &err), 0);
    CHECK(f.dangling, "dangling=True");
    prune_filter_clear(&f);
    rejected("{\"dangling\":[\"maybe\"]}", true, "Invalid filter 'dangling=maybe'");
    rejected("{\"dangling\":[\"true\",\"false\"]}", true, "Invalid filter 'dangling=true,false'");
    rejected("{\"dangling\":[]}", true, "Invalid filter 'dangling'");

    /* until: Docker's time forms; what was created after it stays */
    CHECK(selects("{\"until\":[\"1700000000\"]}", NOW, NULL), "created at until goes");
    CHECK(selects("{\"until\":[\"1700000000\"]}", NOW - S, NULL), "created before until goes");
    CHECK(!selects("{\"until\":[\"1700000000\"]}", NOW + 1, NULL), "created after until stays");
    CHECK(selects("{\"until\":[\"10m\"]}", NOW - 601 * S, NULL), "older than 10m goes");
    CHECK(!selects("{\"until\":[\"10m\"]}", NOW - 599 * S, NULL), "younger than 10m stays");
    CHECK(selects("{\"until\":[\"2023-11-14T22:13:20Z\"]}", NOW, NULL), "RFC 3339");
    CHECK(!selects("{\"until\":[\"2023-11-14T22:13:19Z\"]}", NOW, NULL), "RFC 3339, after");
    CHECK(!selects("{\"until\":[\"1700000000\"]}", 0, NULL), "unknown creation time stays");
    rejected("{\"until\":[\"1h\",\"2h\"]}", false, "more than one until filter specified");
    rejected("{\"until\":[\"yesterday\"]}", false, "Invalid filter 'until=yesterday'");

    /* label: every one must be there (with its value, when given) */
    const char *lab = "{\"a\":\"1\",\"b\":\"2\"}";
    CHECK(selects("{\"label\":[\"a\"]}", NOW, lab), "label=a");
    CHECK(selects("{\"label\":[\"a=1\"]}", NOW, lab), "label=a=1");
    CHECK(!selects("{\"label\":[\"a=2\"]}", NOW, lab), "label=a=2");
    CHECK(selects("{\"label\":[\"a\",\"b=2\"]}", NOW, lab), "label=a and b=2");
    CHECK(!selects("{\"label\":[\"a\",\"c\"]}", NOW, lab), "label=a and c");
    CHECK(!selects("{\"label\":[\"a\"]}", NOW, "{}"), "label on an object without labels");
    CHECK(!selects("{\"label\":[\"a\"]}", NOW, NULL), "label on an object without labels (NULL)");
    CHECK(selects("{\"label\":{\"a=1\":true}}", NOW, lab), "label, old form");
    CHECK(selects("{\"label\":[\"c=\"]}", NOW, "{\"c\":\"\"}"), "label with an empty value");
    CHECK(!selects("{\"label\":[\"c=\"]}", NOW, "{\"c\":\"x\"}"), "label=c= on c=x");

    /* label!: what has all of them stays */
    CHECK(!selects("{\"label!\":[\"a\"]}", NOW, lab), "label!=a on a");
    CHECK(selects("{\"label!\":[\"c\"]}", NOW, lab), "label!=c on a,b");
    CHECK(!selects("{\"label!\":[\"a=1\"]}", NOW, lab), "label!=a=1 on a=1");
    CHECK(selects("{\"label!\":[\"a=2\"]}", NOW, lab), "label!=a=2 on a=1");
    CHECK(selects("{\"label!\":[\"a\"]}", NOW, "{}"), "label! on an object without labels");
    CHECK(selects("{\"label!\":[\"a\",\"c\"]}", NOW, lab), "label!=a,c: not all match");
    CHECK(!selects("{\"label!\":[\"a\",\"b\"]}", NOW, lab), "label!=a,b: all match");

    /* together */
    CHECK(selects("{\"label\":[\"a\"],\"label!\":[\"b=3\"],\"until\":[\"1m\"]}", NOW - 61 * S, lab),
          "all three");
    CHECK(!selects("{\"label\":[\"a\"],\"label!\":[\"b=2\"]}", NOW, lab), "label and label!");
    return check_exit();
}
