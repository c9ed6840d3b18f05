/* test_event_filter.c - the filters of GET /events: which documents are
 * accepted, and moby's matching (daemon/events/filter.go). */
#include <stdlib.h>

#include <jansson.h>

#include "check.h"
#include "event_filter.h"
#include "util.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define IID "sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999"

/* Whether the filters in text pass an event. */
static bool passes(const char *text, const char *type, const char *action, const char *id,
                   const char *attrs_json)
{
    struct event_filter f;
    berth_error err = BERTH_ERROR_INIT;
    if (event_filter_parse(text, &f, &err) < 0) {
        CHECK(0, "%s: %s", text, err.message);
        event_filter_clear(&f);
        return false;
    }
    json_t *attrs = json_loads(attrs_json, 0, NULL);
    bool r = event_filter_match(&f, type, action, id, attrs);
    json_decref(attrs);
    event_filter_clear(&f);
    return r;
}

static bool ctr(const char *text, const char *action)
{
    return passes(text, "container", action, CID,
                  "{\"image\": \"busybox\", \"name\": \"web\", \"tier\": \"front\", \"x\": \"\"}");
}

static void rejected(const char *text, const char *message)
{
    struct event_filter f;
    berth_error err = BERTH_ERROR_INIT;
    int r = event_filter_parse(text, &f, &err);
    event_filter_clear(&f);
    CHECK(r == BERTH_EINVAL, "%s: accepted", text);
    CHECK(strstr(err.message, message) != NULL, "%s: message %s", text, err.message);
}

int main(void)
{
    /* no filter, and keys Docker ignores */
    CHECK(ctr(NULL, "start"), "no filter");
    CHECK(ctr("", "start"), "empty filter");
    CHECK(ctr("{}", "start"), "{}");
    CHECK(ctr("{\"unknown\": [\"x\"]}", "start"), "unknown keys are ignored");

    /* type and event: exact */
    CHECK(ctr("{\"type\": [\"container\"]}", "start"), "type");
    CHECK(!ctr("{\"type\": [\"image\"]}", "start"), "other type");
    CHECK(ctr("{\"event\": [\"die\", \"start\"]}", "start"), "one of the events");
    CHECK(!ctr("{\"event\": [\"sta\"]}", "start"), "an event is no prefix");
    /* exec_create/exec_start/health_status: a prefix (their actions have a suffix) */
    CHECK(ctr("{\"event\": [\"exec_create\"]}", "exec_create: sh -c true"), "exec_create prefix");
    CHECK(ctr("{\"event\": [\"exec_start\"]}", "exec_start: ls"), "exec_start prefix");
    CHECK(!ctr("{\"event\": [\"exec_create\"]}", "exec_die"), "exec_create is not exec_die");
    CHECK(ctr("{\"event\": {\"start\": true}}", "start"), "the older shape");

    /* container: ID, ID prefix or name (prefix too, as moby's FuzzyMatch) */
    CHECK(ctr("{\"container\": [\"" CID "\"]}", "start"), "full ID");
    CHECK(ctr("{\"container\": [\"0123456789ab\"]}", "start"), "ID prefix");
    CHECK(ctr("{\"container\": [\"web\"]}", "start"), "name");
    CHECK(ctr("{\"container\": [\"other\", \"web\"]}", "start"), "one of the names");
    CHECK(!ctr("{\"container\": [\"other\"]}", "start"), "another name");
    CHECK(!ctr("{\"container\": [\"123\"]}", "start"), "not a prefix of the ID");
    /* volume, network...: berth records none; they exclude container events */
    CHECK(!ctr("{\"volume\": [\"v\"]}", "start"), "volume");
    CHECK(!ctr("{\"network\": [\"n\"]}", "start"), "network");
    CHECK(ctr("{\"scope\": [\"local\"]}", "start"), "scope local");
    CHECK(!ctr("{\"scope\": [\"swarm\"]}", "start"), "scope swarm");

    /* image: the container's image attribute, with or without tag */
    CHECK(ctr("{\"image\": [\"busybox\"]}", "start"), "image name");
    CHECK(!ctr("{\"image\": [\"busybox:1.36\"]}", "start"), "the attribute has no tag");
    CHECK(!ctr("{\"image\": [\"alpine\"]}", "start"), "other image");
    const char *img_attrs = "{\"name\": \"app:v1\", \"maintainer\": \"me\"}";
    CHECK(passes("{\"image\": [\"app:v1\"]}", "image", "tag", IID, img_attrs), "image tag");
    CHECK(passes("{\"image\": [\"app\"]}", "image", "tag", IID, img_attrs), "image without tag");
    CHECK(passes("{\"image\": [\"docker.io/library/app\"]}", "image", "tag", IID, img_attrs) ==
              false,
          "a normalized name is not the familiar one");
    CHECK(passes("{\"image\": [\"" IID "\"]}", "image", "delete", IID, "{\"name\": \"" IID "\"}"),
          "image ID");

    /* label: every k or k=v among the attributes */
    CHECK(ctr("{\"label\": [\"tier\"]}", "start"), "label key");
    CHECK(ctr("{\"label\": [\"tier=front\"]}", "start"), "label k=v");
    CHECK(ctr("{\"label\": [\"tier=front\", \"x=\"]}", "start"), "two labels, one empty");
    CHECK(!ctr("{\"label\": [\"tier=back\"]}", "start"), "other value");
    CHECK(!ctr("{\"label\": [\"tier\", \"nope\"]}", "start"), "all must match");
    CHECK(!passes("{\"label\": [\"a\"]}", "container", "start", CID, "{}"), "no attributes");

    /* several keys: all of them */
    CHECK(ctr("{\"type\": [\"container\"], \"event\": [\"start\"], \"container\": [\"web\"]}",
              "start"),
          "all keys match");
    CHECK(!ctr("{\"type\": [\"container\"], \"event\": [\"die\"]}", "start"), "one key fails");

    rejected("nope", "invalid filters");
    rejected("[\"type\"]", "invalid filters: not an object");
    rejected("{\"type\": 5}", "Invalid filter 'type'");
    rejected("{\"event\": [\"start\", 1]}", "Invalid filter 'event'");
    return check_exit();
}
