/* fuzz_wsframe.c - berthd's websocket frame decoder (daemon/wsframe.c): the
 * bytes a client sends on GET /containers/{id}/attach/ws.
 *
 * Input: u8 step, then the client's bytes. They are decoded twice, in one
 * piece and in pieces of step bytes (as they may arrive from the socket),
 * and both must tell the same story: the same message bytes, the same
 * control frames, the same error. Every call must consume what it says
 * (at least a byte unless it reports an error) and hand out data that
 * lies within what it consumed. */
#include "../../daemon/wsframe.h"
#include "fuzz_common.h"

struct story {
    unsigned char *text; /* data bytes, then per control frame: type, len, payload */
    size_t len;
    bool error;
};

static void add(struct story *s, const void *p, size_t n)
{
    memcpy(s->text + s->len, p, n);
    s->len += n;
}

static void decode(const uint8_t *data, size_t size, size_t step, struct story *s)
{
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    /* control frames add 2 bytes each to at most 125 + 14 bytes of input */
    s->text = malloc(size * 2 + 16);
    s->len = 0;
    s->error = false;
    struct ws_decoder d;
    ws_decoder_init(&d);
    for (size_t off = 0; off < size && !s->error;) {
        size_t n = size - off < step ? size - off : step;
        unsigned char *p = buf + off;
        while (n) {
            struct ws_event ev;
            size_t used = ws_decode(&d, p, n, &ev);
            if (ev.type == WS_EV_ERROR) {
                s->error = true;
                break;
            }
            FUZZ_CHECK(used > 0 && used <= n, "used %zu of %zu", used, n);
            if (ev.type == WS_EV_DATA) {
                FUZZ_CHECK(ev.data >= p && ev.data + ev.len <= p + used, "data outside input");
                add(s, ev.data, ev.len);
            } else if (ev.type != WS_EV_NONE) {
                FUZZ_CHECK(ev.len <= WS_MAX_CONTROL, "control payload of %zu", ev.len);
                unsigned char tag[2] = { (unsigned char)(0x80 | ev.type), (unsigned char)ev.len };
                add(s, tag, 2);
                add(s, ev.data, ev.len);
            }
            p += used;
            n -= used;
            off += used;
        }
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0] ? data[0] : 1;
    struct story whole, pieces;
    decode(data + 1, size - 1, size, &whole);
    decode(data + 1, size - 1, step, &pieces);
    FUZZ_CHECK(whole.error == pieces.error, "error in one piece %d, in pieces of %zu %d",
               whole.error, step, pieces.error);
    FUZZ_CHECK(whole.len == pieces.len && memcmp(whole.text, pieces.text, whole.len) == 0,
               "decoding in pieces of %zu differs", step);
    free(whole.text);
    free(pieces.text);
    return 0;
}
