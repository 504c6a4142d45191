/*
 * frame.c — newline framing of the IPC byte stream: where a message is
 * framed.  Free of libuv and Lua, so that fuzz/fuzz_ipc_framing.c can feed
 * it arbitrary byte streams split at arbitrary points.
 *
 * Bytes are read straight into the framer's buffer (cp_frame_space, then
 * cp_frame_commit).  cp_frame_next scans for '\n' from where the previous
 * scan stopped, so a message arriving in many chunks costs time linear in
 * its size; consumed bytes are dropped once per read, not once per line.
 */
#include <string.h>

#include "cp.h"

/* Buffers bigger than this are freed once empty (after a big message). */
#define CP_FRAME_KEEP (1024 * 1024)

char *cp_frame_space(cp_framer *f, size_t want, size_t *len) {
  if (cp_buf_reserve(&f->buf, want) != 0) {
    *len = 0;
    return NULL;
  }
  *len = f->buf.cap - f->buf.len;
  return f->buf.data + f->buf.len;
}

void cp_frame_commit(cp_framer *f, size_t n) {
  f->buf.len += n;
}

static void cp_frame_reset(cp_framer *f) {
  cp_buf_free(&f->buf);
  f->start = f->pos = 0;
}

int cp_frame_next(cp_framer *f, const char **line, size_t *len) {
  char *nl = NULL;
  if (f->pos < f->buf.len) nl = memchr(f->buf.data + f->pos, '\n', f->buf.len - f->pos);
  if (nl != NULL) {
    size_t end = (size_t)(nl - f->buf.data);
    if (end - f->start > f->max) {
      cp_frame_reset(f);
      return -1;
    }
    *line = f->buf.data + f->start;
    *len = end - f->start;
    f->start = f->pos = end + 1;
    return 1;
  }
  /* No complete line left: what remains is the start of the next one. */
  if (f->buf.len - f->start > f->max) {
    cp_frame_reset(f);
    return -1;
  }
  cp_buf_consume(&f->buf, f->start);
  f->pos = f->buf.len;
  f->start = 0;
  if (f->buf.len == 0 && f->buf.cap > CP_FRAME_KEEP) cp_buf_free(&f->buf);
  return 0;
}

void cp_frame_shrink(cp_framer *f) {
  cp_buf rest = {NULL, 0, 0};
  size_t n = f->buf.len - f->start;
  if (f->buf.cap <= CP_FRAME_KEEP || n > CP_FRAME_KEEP) return;
  if (n > 0 && cp_buf_append(&rest, f->buf.data + f->start, n) != 0) return; /* kept */
  cp_buf_free(&f->buf);
  f->buf = rest;
  f->pos -= f->start;
  f->start = 0;
}

size_t cp_frame_pending(const cp_framer *f) {
  return f->buf.len - f->start;
}

void cp_frame_free(cp_framer *f) {
  cp_frame_reset(f);
}
