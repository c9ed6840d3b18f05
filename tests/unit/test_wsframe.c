/* test_wsframe.c - the websocket frame codec of /attach/ws (daemon/wsframe.c)
 * on the examples of RFC 6455 and on frames a client must not send. */
#include <stdlib.h>

#include "../../daemon/wsframe.h"
#include "check.h"

/* A masked client frame of op carrying data (the mask is fixed). */
static size_t client_frame(unsigned char *out, int op, bool fin, const unsigned char *data,
                           size_t len)
{
    static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
    size_t h = ws_frame_header(out, (enum ws_opcode)op, len);
    out[0] = (unsigned char)((fin ? 0x80 : 0) | op);
    out[1] |= 0x80;
    memcpy(out + h, mask, 4);
    for (size_t i = 0; i < len; i++)
        out[h + 4 + i] = data[i] ^ mask[i & 3];
    return h + 4 + len;
}

struct got {
    unsigned char data[200000];
    size_t len;
    int closes, pings, errors;
    unsigned char ctl[WS_MAX_CONTROL];
    size_t ctl_len;
};

/* Decodes in pieces of at most step bytes. */
static void decode(unsigned char *in, size_t len, size_t step, struct got *g)
{
    struct ws_decoder d;
    ws_decoder_init(&d);
    memset(g, 0, sizeof *g);
    while (len) {
        size_t n = len < step ? len : step;
        while (n) {
            struct ws_event ev;
            size_t used = ws_decode(&d, in, n, &ev);
            if (ev.type == WS_EV_ERROR) {
                g->errors++;
                return;
            }
            CHECK(used > 0 && used <= n, "used %zu of %zu", used, n);
            if (ev.type == WS_EV_DATA) {
                memcpy(g->data + g->len, ev.data, ev.len);
                g->len += ev.len;
            } else if (ev.type == WS_EV_CLOSE || ev.type == WS_EV_PING) {
                g->closes += ev.type == WS_EV_CLOSE;
                g->pings += ev.type == WS_EV_PING;
                memcpy(g->ctl, ev.data, ev.len);
                g->ctl_len = ev.len;
            }
            in += used;
            n -= used;
            len -= used;
        }
    }
}

static void roundtrip(size_t size)
{
    unsigned char *data = malloc(size), *frame = malloc(size + 20), *copy = malloc(size + 20);
    for (size_t i = 0; i < size; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    size_t flen = client_frame(frame, WS_OP_BINARY, true, data, size);
    static struct got g;
    size_t steps[] = { 1, 3, 4096, flen };
    for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
        memcpy(copy, frame, flen);
        decode(copy, flen, steps[k], &g);
        CHECK(g.errors == 0 && g.len == size && memcmp(g.data, data, size) == 0,
              "size %zu step %zu: %zu bytes, %d errors", size, steps[k], g.len, g.errors);
    }
    free(data);
    free(frame);
    free(copy);
}

static void refused(const unsigned char *frame, size_t len, const char *what)
{
    static struct got g;
    unsigned char copy[300];
    memcpy(copy, frame, len);
    decode(copy, len, len, &g);
    CHECK(g.errors == 1, "%s was accepted", what);
}

int main(void)
{
    char accept[29];
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept); /* RFC 6455 1.3 */
    CHECK_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    /* RFC 6455 5.7: a single-frame masked text message, and a masked ping */
    unsigned char hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    static struct got g;
    decode(hello, sizeof hello, 1, &g);
    CHECK(g.len == 5 && memcmp(g.data, "Hello", 5) == 0, "got %zu bytes", g.len);
    unsigned char ping[16];
    size_t n = client_frame(ping, WS_OP_PING, true, (const unsigned char *)"Hello", 5);
    decode(ping, n, n, &g);
    CHECK(g.pings == 1 && g.ctl_len == 5 && memcmp(g.ctl, "Hello", 5) == 0, "ping");

    /* a fragmented message with a close in between and an empty close */
    unsigned char msg[64];
    size_t m = client_frame(msg, WS_OP_TEXT, false, (const unsigned char *)"Hel", 3);
    m += client_frame(msg + m, WS_OP_PING, true, NULL, 0);
    m += client_frame(msg + m, WS_OP_CONT, true, (const unsigned char *)"lo", 2);
    m += client_frame(msg + m, WS_OP_CLOSE, true, (const unsigned char *)"\x03\xe8", 2);
    decode(msg, m, 2, &g);
    CHECK(g.len == 5 && memcmp(g.data, "Hello", 5) == 0 && g.pings == 1 && g.closes == 1 &&
              g.ctl_len == 2,
          "fragments: %zu bytes, %d pings, %d closes", g.len, g.pings, g.closes);

    roundtrip(0);
    roundtrip(125);
    roundtrip(126);
    roundtrip(65535);
    roundtrip(65536);
    roundtrip(150000);

    /* what a client must not send */
    unsigned char bad[300];
    refused((const unsigned char *)"\x81\x05Hello", 7, "an unmasked frame");
    n = client_frame(bad, WS_OP_TEXT, true, (const unsigned char *)"x", 1);
    bad[0] |= 0x40;
    refused(bad, n, "a reserved bit");
    n = client_frame(bad, 3, true, (const unsigned char *)"x", 1);
    refused(bad, n, "opcode 3");
    n = client_frame(bad, WS_OP_CONT, true, (const unsigned char *)"x", 1);
    refused(bad, n, "a continuation without a message");
    n = client_frame(bad, WS_OP_PING, false, (const unsigned char *)"x", 1);
    refused(bad, n, "a fragmented ping");
    unsigned char big[200] = { 0 };
    n = client_frame(bad, WS_OP_PING, true, big, 126);
    refused(bad, n, "a 126-byte ping");
    n = client_frame(bad, WS_OP_TEXT, false, (const unsigned char *)"x", 1);
    n += client_frame(bad + n, WS_OP_TEXT, true, (const unsigned char *)"y", 1);
    refused(bad, n, "a new message inside a fragmented one");
    unsigned char huge[] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
    refused(huge, sizeof huge, "a 64-bit length with its top bit set");

    /* the headers berthd sends */
    unsigned char h[WS_MAX_HEADER];
    CHECK(ws_frame_header(h, WS_OP_BINARY, 5) == 2 && h[0] == 0x82 && h[1] == 5, "5");
    CHECK(ws_frame_header(h, WS_OP_TEXT, 256) == 4 && h[0] == 0x81 && h[1] == 126 && h[2] == 1 &&
              h[3] == 0,
          "256");
    CHECK(ws_frame_header(h, WS_OP_BINARY, 65536) == 10 && h[1] == 127 && h[7] == 1 && h[8] == 0 &&
              h[9] == 0,
          "65536");
    return check_failures ? 1 : 0;
}
