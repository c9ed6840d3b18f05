/* names.c - generated container names, "adjective_noun", from berth's own
 * harbour-flavoured word lists; a number is appended if all else is taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "db.h"
#include "engine_int.h"
#include "util.h"

static const char *const adjectives[] = {
    "amber",    "ancient",  "bold",      "brave",  "breezy",   "bright",   "calm",     "clever",
    "cosy",     "crisp",    "daring",    "deep",   "eager",    "fair",     "fearless", "festive",
    "gentle",   "gleaming", "golden",    "grand",  "happy",    "hardy",    "hidden",   "humble",
    "jolly",    "keen",     "kind",      "lively", "loyal",    "lucky",    "merry",    "mighty",
    "misty",    "modest",   "nimble",    "noble",  "patient",  "peaceful", "plucky",   "polished",
    "proud",    "quick",    "quiet",     "rapid",  "restful",  "rugged",   "salty",    "serene",
    "sharp",    "shining",  "silent",    "silver", "sleepy",   "snug",     "sound",    "speedy",
    "spirited", "steady",   "stout",     "sturdy", "sunny",    "swift",    "tidal",    "tranquil",
    "trusty",   "vivid",    "wandering", "warm",   "watchful", "windy",    "wise",     "witty",
    "zealous",
};

static const char *const nouns[] = {
    "anchor",  "bay",     "beacon",  "bollard", "bosun",    "bow",        "breakwater", "buoy",
    "cabin",   "canal",   "capstan", "cargo",   "channel",  "compass",    "cove",       "crane",
    "current", "deck",    "dinghy",  "dock",    "dory",     "estuary",    "ferry",      "fjord",
    "galley",  "gangway", "harbour", "haven",   "helm",     "hull",       "inlet",      "isle",
    "jetty",   "keel",    "ketch",   "lagoon",  "lantern",  "lighthouse", "lock",       "mast",
    "marina",  "mooring", "oar",     "pier",    "pilot",    "port",       "quay",       "raft",
    "reef",    "rigging", "rudder",  "sail",    "schooner", "shore",      "skiff",      "sloop",
    "sound",   "spar",    "stern",   "strait",  "tide",     "tiller",     "towline",    "trawler",
    "tug",     "voyage",  "wake",    "wharf",   "winch",    "yawl",
};

static bool name_taken(berth_engine *e, const char *name)
{
    _cleanup_stmt_ sqlite3_stmt *s = NULL;
    if (db_prepare(e->db, "SELECT 1 FROM containers WHERE name=?1", &s, NULL) < 0)
        return false;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    return sqlite3_step(s) == SQLITE_ROW;
}

char *ctr_generate_name(berth_engine *e)
{
    char rnd[9];
    for (int attempt = 0; attempt < 16; attempt++) {
        if (random_hex(rnd, 4) < 0)
            break;
        unsigned long v = strtoul(rnd, NULL, 16);
        const char *a = adjectives[v % ARRAY_SIZE(adjectives)];
        const char *n = nouns[(v / ARRAY_SIZE(adjectives)) % ARRAY_SIZE(nouns)];
        char *name = attempt < 8 ? xasprintf("%s_%s", a, n) : xasprintf("%s_%s%lu", a, n, v % 100);
        if (!name_taken(e, name))
            return name;
        free(name);
    }
    if (random_hex(rnd, 4) < 0)
        snprintf(rnd, sizeof rnd, "%08x", (unsigned)getpid());
    return xasprintf("berth_%s", rnd);
}
