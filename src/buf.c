/*
 * buf.c — a growable byte buffer, used for write queues, the IPC read
 * buffer and JSON encoding.  Growth is geometric so that appending n bytes
 * in any number of pieces costs O(n) in total.
 */
#include <stdlib.h>
#include <string.h>

#include "cp.h"

int cp_buf_reserve(cp_buf *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (b->cap - b->len >= extra) return 0;
  need = b->len + extra;
  if (need < b->len) return UV_ENOMEM; /* overflow */
  cap = b->cap ? b->cap : 256;
  while (cap < need) {
    if (cap > ((size_t)-1) / 2) { cap = need; break; }
    cap *= 2;
  }
  p = realloc(b->data, cap);
  if (p == NULL) return UV_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int cp_buf_append(cp_buf *b, const void *p, size_t n) {
  if (cp_buf_reserve(b, n) != 0) return UV_ENOMEM;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

void cp_buf_consume(cp_buf *b, size_t n) {
  /* Nothing to drop: no memmove of the whole buffer onto itself (the line
   * splitter calls this once per chunk while a long line grows). */
  if (n == 0) return;
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

void cp_buf_free(cp_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
