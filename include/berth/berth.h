/* berth/berth.h - the whole public API of libberth. */
#ifndef BERTH_BERTH_H
#define BERTH_BERTH_H

#include <berth/error.h>
#include <berth/engine.h>
#include <berth/image.h>
#include <berth/container.h>
#include <berth/volume.h>
#include <berth/exec.h>
#include <berth/events.h>
#include <berth/stats.h>
#include <berth/archive.h>
#include <berth/commit.h>

#endif
