/* api_images.c - the /images endpoints (filled in next). */
#include "berthd.h"

const struct route image_routes[] = {
    { NULL, NULL, NULL, BODY_NONE },
};
