/* filters.c - the values of Docker's filters documents. */
#include "errors.h"
#include "filters.h"
#include "util.h"

bool filter_values(const json_t *v, char ***out)
{
    *out = NULL;
    if (json_is_string(v)) {
        strv_push(out, json_string_value(v));
        return true;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (!json_is_string(x))
                return false;
            strv_push(out, json_string_value(x));
        }
        return true;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (json_is_true(x))
                strv_push(out, k);
        }
        return true;
    }
    return false;
}

int filters_load(const char *text, json_t **out, berth_error *err)
{
    *out = NULL;
    if (!text || !*text)
        return 0;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return berr(err, BERTH_EINVAL, "invalid filters: %s", j ? "not an object" : je.text);
    }
    *out = j;
    return 0;
}
