/* wsframe.c - websocket frames (wsframe.h). */
#include <string.h>

#include <openssl/evp.h>

#include "wsframe.h"

void ws_decoder_init(struct ws_decoder *d)
{
    memset(d, 0, sizeof *d);
}

static size_t error(struct ws_event *ev)
{
    ev->type = WS_EV_ERROR;
    return 0;
}

/* How long the header that starts with these two bytes is. */
static size_t header_len(const unsigned char *h)
{
    size_t n = 2 + 4; /* client frames are always masked */
    if ((h[1] & 0x7f) == 126)
        n += 2;
    else if ((h[1] & 0x7f) == 127)
        n += 8;
    return n;
}

/* The header is whole: checks it and sets up the payload. Returns false on
 * a protocol error. */
static bool start_frame(struct ws_decoder *d)
{
    const unsigned char *h = d->hdr;
    bool fin = h[0] & 0x80;
    uint8_t op = h[0] & 0x0f;
    if (h[0] & 0x70)
        return false; /* no extension was negotiated */
    if (!(h[1] & 0x80))
        return false; /* a client must mask (RFC 6455 5.1) */
    uint64_t len = h[1] & 0x7f;
    size_t at = 2;
    if (len == 126) {
        len = (uint64_t)h[2] << 8 | h[3];
        at = 4;
    } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | h[2 + i];
        if (len >> 63)
            return false;
        at = 10;
    }
    memcpy(d->mask, h + at, 4);
    d->mask_pos = 0;
    switch (op) {
    case WS_OP_CONT:
        if (!d->in_message)
            return false;
        break;
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (d->in_message)
            return false;
        break;
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        if (!fin || len > WS_MAX_CONTROL)
            return false;
        break;
    default: return false;
    }
    if (op <= WS_OP_BINARY)
        d->in_message = !fin;
    d->opcode = op;
    d->left = len;
    d->ctl_len = 0;
    return true;
}

static void unmask(struct ws_decoder *d, unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] ^= d->mask[d->mask_pos];
        d->mask_pos = (d->mask_pos + 1) & 3;
    }
}

/* A control frame is whole: its event. */
static void control_event(struct ws_decoder *d, struct ws_event *ev)
{
    ev->type = d->opcode == WS_OP_CLOSE  ? WS_EV_CLOSE
               : d->opcode == WS_OP_PING ? WS_EV_PING
                                         : WS_EV_PONG;
    ev->data = d->ctl;
    ev->len = d->ctl_len;
}

size_t ws_decode(struct ws_decoder *d, unsigned char *in, size_t len, struct ws_event *ev)
{
    ev->type = WS_EV_NONE;
    ev->data = NULL;
    ev->len = 0;
    if (len == 0)
        return 0;
    size_t used = 0;
    bool in_header = d->hdr_got < 2 || d->hdr_got < header_len(d->hdr);
    if (in_header) {
        /* collect the header: first its two bytes, then what they announce */
        while (used < len) {
            size_t need = d->hdr_got < 2 ? 2 : header_len(d->hdr);
            if (d->hdr_got >= need)
                break;
            d->hdr[d->hdr_got++] = in[used++];
        }
        if (d->hdr_got < 2 || d->hdr_got < header_len(d->hdr))
            return used;
        if (!start_frame(d))
            return error(ev);
        if (d->left == 0) {
            d->hdr_got = 0;
            if (d->opcode >= WS_OP_CLOSE)
                control_event(d, ev);
            return used;
        }
        if (used == len)
            return used;
    }
    /* payload */
    size_t n = len - used;
    if (n > d->left)
        n = (size_t)d->left;
    unsigned char *p = in + used;
    unmask(d, p, n);
    d->left -= n;
    used += n;
    if (d->opcode >= WS_OP_CLOSE) {
        memcpy(d->ctl + d->ctl_len, p, n); /* ctl_len + n <= the frame's length <= 125 */
        d->ctl_len += n;
        if (d->left == 0) {
            d->hdr_got = 0;
            control_event(d, ev);
        }
        return used;
    }
    if (d->left == 0)
        d->hdr_got = 0;
    ev->type = WS_EV_DATA;
    ev->data = p;
    ev->len = n;
    return used;
}

size_t ws_frame_header(unsigned char out[WS_MAX_HEADER], enum ws_opcode op, uint64_t len)
{
    out[0] = 0x80 | (unsigned char)op;
    if (len < 126) {
        out[1] = (unsigned char)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
    return 10;
}

void ws_accept_key(const char *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
              EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
              EVP_DigestUpdate(ctx, guid, sizeof guid - 1) == 1 &&
              EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == 20;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        memset(md, 0, 20); /* a wrong key: the client refuses the handshake */
    EVP_EncodeBlock((unsigned char *)out, md, 20);
}
