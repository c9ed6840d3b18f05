/* wsframe.h - the websocket (RFC 6455) frames of GET /containers/{id}/attach/ws:
 * the handshake's accept key, the header of the frames berthd sends, and
 * an incremental decoder of the frames a client sends.
 *
 * The decoder holds no payload: data frames are unmasked in place and
 * handed out piece by piece as they arrive (stdin needs no reassembly),
 * and only a control frame's payload (at most 125 bytes, by the RFC) is
 * kept until it is whole. Its state is a few fixed-size fields, so no
 * input makes it allocate or read out of bounds. */
#ifndef BERTH_WSFRAME_H
#define BERTH_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_OP_CONT = 0,
    WS_OP_TEXT = 1,
    WS_OP_BINARY = 2,
    WS_OP_CLOSE = 8,
    WS_OP_PING = 9,
    WS_OP_PONG = 10,
};

#define WS_MAX_HEADER  14 /* 2 + 8 (length) + 4 (mask) */
#define WS_MAX_CONTROL 125

enum ws_event_type {
    WS_EV_NONE,  /* more input needed */
    WS_EV_DATA,  /* data, len: a piece of a text/binary message */
    WS_EV_CLOSE, /* data, len: the close frame's payload (status code, reason) */
    WS_EV_PING,  /* data, len: to be echoed in a pong */
    WS_EV_PONG,
    WS_EV_ERROR, /* a protocol error: the connection must be closed */
};

struct ws_event {
    enum ws_event_type type;
    const unsigned char *data;
    size_t len;
};

struct ws_decoder {
    unsigned char hdr[WS_MAX_HEADER];
    size_t hdr_got;
    uint8_t opcode;  /* of the frame being read */
    bool in_message; /* a fragmented data message goes on */
    uint64_t left;   /* its payload bytes still to come */
    uint8_t mask[4];
    unsigned mask_pos;
    unsigned char ctl[WS_MAX_CONTROL];
    size_t ctl_len;
};

void ws_decoder_init(struct ws_decoder *d);

/* Consumes bytes from in (unmasking data in place) and describes what they
 * completed in *ev. Returns the number of bytes consumed: at least one
 * while len > 0, except with WS_EV_ERROR (after which the decoder must
 * not be used again). Call again with the rest until len is used up. */
size_t ws_decode(struct ws_decoder *d, unsigned char *in, size_t len, struct ws_event *ev);

/* Writes the header of an unmasked, final server frame carrying len bytes
 * into out; returns its length (2, 4 or 10). */
size_t ws_frame_header(unsigned char out[WS_MAX_HEADER], enum ws_opcode op, uint64_t len);

/* The Sec-WebSocket-Accept value for a Sec-WebSocket-Key: base64 of the
 * SHA-1 of the key and the RFC's GUID. out gets 28 characters and a NUL. */
void ws_accept_key(const char *key, char out[29]);

#endif
