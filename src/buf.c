/*
 * buf.c — a growable byte buffer, used for write queues, the IPC read
 * buffer and JSON encoding.  Growth is geometric so that appending n bytes
 * in any number of pieces costs O(n) in total.
 *
 * Big buffers (a capacity of CP_BUF_MAP or more: a big IPC message on its
 * way in or out) are mappings of their own rather than malloc blocks:
 * growing one is mremap (no copy: the bytes are not touched twice, and
 * the old and new block never both hold memory), freeing one gives the
 * memory back to the system at once (malloc would keep a big block freed
 * at the top of its heap, and raises its mmap threshold after the first
 * one), and they ask for transparent huge pages, so that filling 32 MiB
 * costs a few dozen page faults instead of 8192.  Untouched capacity costs
 * no memory.  The capacity alone says which kind a buffer is.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cp.h"

#define CP_BUF_MAP ((size_t)1024 * 1024)

static void *cp_buf_map(size_t cap) {
  void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
  (void)madvise(p, cap, MADV_HUGEPAGE); /* advice only: may be refused */
#endif
  return p;
}

/* Move to a capacity of cap >= CP_BUF_MAP (a multiple of the page size). */
static char *cp_buf_grow_mapped(cp_buf *b, size_t cap) {
  char *p;
#if defined(MREMAP_MAYMOVE) && !defined(CP_PORTABLE)
  if (b->cap >= CP_BUF_MAP) {
    p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
    if (p != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
      (void)madvise(p, cap, MADV_HUGEPAGE);
#endif
      return p;
    }
    /* else a new mapping and a copy, as without mremap */
  }
#endif
  p = (char *)cp_buf_map(cap);
  if (p == NULL) return NULL;
  if (b->len > 0) memcpy(p, b->data, b->len);
  if (b->cap >= CP_BUF_MAP) munmap(b->data, b->cap);
  else free(b->data);
  return p;
}

static int cp_buf_grow(cp_buf *b, size_t extra, int exact) {
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
  if (exact && need >= CP_BUF_MAP) {
    /* Just the pages needed: a mapping that ends inside the last 2 MiB
     * block gets no huge page there, so the few bytes that end a big
     * message do not fault in 2 MiB. */
    cap = (need + 4095) & ~(size_t)4095;
    if (cap < need) return UV_ENOMEM;
    p = cp_buf_grow_mapped(b, cap);
  } else if (cap >= CP_BUF_MAP) {
    cap = (cap + CP_BUF_MAP - 1) & ~(CP_BUF_MAP - 1); /* whole pages */
    if (cap < need) return UV_ENOMEM;                 /* overflow */
    p = cp_buf_grow_mapped(b, cap);
  } else {
    p = realloc(b->data, cap);
  }
  if (p == NULL) return UV_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int cp_buf_reserve(cp_buf *b, size_t extra) {
  return cp_buf_grow(b, extra, 0);
}

int cp_buf_reserve_exact(cp_buf *b, size_t extra) {
  return cp_buf_grow(b, extra, 1);
}

void cp_buf_trim(cp_buf *b) {
#ifdef MADV_DONTNEED
  long pg = sysconf(_SC_PAGESIZE);
  size_t from;
  if (b->cap < CP_BUF_MAP || pg <= 0) return;
  from = (b->len + (size_t)pg - 1) & ~((size_t)pg - 1);
  /* Past len: spare capacity, whose bytes mean nothing.  Where a huge page
   * was faulted in for the last bytes received, up to 2 MiB come back. */
  if (from < b->cap) (void)madvise(b->data + from, b->cap - from, MADV_DONTNEED);
#else
  (void)b;
#endif
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
  if (b->cap >= CP_BUF_MAP) munmap(b->data, b->cap);
  else free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
