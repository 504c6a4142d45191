/*
 * fuzz_ipc_framing.c — libFuzzer target for src/frame.c, the IPC line
 * framing.  The input is a byte stream fed to the framer in chunks whose
 * sizes come from the input itself (arbitrary split points), with a small
 * maximum line length taken from the first byte.  The lines it returns
 * must be exactly what splitting the whole stream at '\n' gives, up to the
 * first over-long line, where it must report -1; anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cp_framer f;
  size_t max, off = 0, ref_start, i;
  int r = 0, too_long = 0;
  const uint8_t *stream;
  size_t stream_len;
  if (size < 2) return 0;
  memset(&f, 0, sizeof f);
  max = (size_t)data[0] * 4 + 1;
  /* The second byte seeds the chunk sizes; the rest is the stream. */
  stream = data + 2;
  stream_len = size - 2;
  ref_start = 0; /* where the next expected line starts in `stream` */
  f.max = max;
  while (off < stream_len && !too_long) {
    size_t chunk = 1 + (size_t)((data[1] + off * 31) % 97), room;
    char *p;
    if (chunk > stream_len - off) chunk = stream_len - off;
    p = cp_frame_space(&f, chunk, &room);
    if (p == NULL || room < chunk) abort();
    memcpy(p, stream + off, chunk);
    cp_frame_commit(&f, chunk);
    off += chunk;
    for (;;) {
      const char *line;
      size_t len;
      const uint8_t *nl;
      r = cp_frame_next(&f, &line, &len);
      nl = memchr(stream + ref_start, '\n', off - ref_start);
      if (r == 1) {
        /* Must be the next reference line, complete and within max. */
        if (nl == NULL) abort();
        if ((size_t)(nl - (stream + ref_start)) != len) abort();
        if (memcmp(line, stream + ref_start, len) != 0) abort();
        if (len > max) abort();
        ref_start = (size_t)(nl - stream) + 1;
        continue;
      }
      if (r == 0) {
        /* No complete line left, and what is held is within max. */
        if (nl != NULL) abort();
        if (off - ref_start > max) abort();
        if (cp_frame_pending(&f) != off - ref_start) abort();
        break;
      }
      /* -1: the pending or next line really is longer than max. */
      i = nl ? (size_t)(nl - (stream + ref_start)) : off - ref_start;
      if (i <= max) abort();
      too_long = 1;
      break;
    }
  }
  cp_frame_free(&f);
  return 0;
}
