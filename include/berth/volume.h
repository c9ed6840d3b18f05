/* berth/volume.h - volumes: the anonymous volumes that containers get for
 * their image's VOLUMEs, kept in <root>/volumes/<name>/_data.
 *
 * Documents have the shape of the Docker Engine API's Volume and
 * VolumeListResponse and are owned by the caller (berth_free).
 */
#ifndef BERTH_VOLUME_H
#define BERTH_VOLUME_H

#include <berth/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Docker's Volume document for the volume called name; BERTH_ENOTFOUND
 * ("get NAME: no such volume") when there is none. */
int berth_volume_inspect(berth_engine *engine, const char *name, char **json_out, berth_error *err);

/* {"Volumes": [Volume...], "Warnings": null}, by name. Docker's filters in
 * filters_json (NULL: all): "name" (a substring of the name), "dangling"
 * (true: used by no container; false: used by one). Another filter is
 * BERTH_EINVAL. */
int berth_volume_list(berth_engine *engine, const char *filters_json, char **json_out,
                      berth_error *err);

#ifdef __cplusplus
}
#endif

#endif
