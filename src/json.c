/*
 * json.c — the JSON codec (cp.json), used by the Lua-facing json table and
 * by ipc.c for the wire format.
 *
 * This file owns:
 *   - cp_json_encode / cp_json_decode (C API, see cp.h): they report errors
 *     by return value and a pushed message, never by raising (except Lua
 *     memory errors), so callers can clean up;
 *   - the per-lua_State sentinels: `null` (a unique full userdata whose
 *     tostring is "null"), `array_mt` (the metatable marking arrays) and
 *     `empty_array`, plus the cached module table.  They live in the
 *     registry under the addresses of the static chars below and are
 *     created lazily, so the codec has no mutable C globals and works in
 *     any number of independent states;
 *   - the Lua functions json.encode / json.decode.
 *
 * Mapping (SPEC section 5), in short: tables with keys exactly 1..n and
 * tables with array_mt are arrays, other tables are objects (integer keys
 * become strings); strings must be valid UTF-8; floats are written with the
 * shortest text that reads back to the same double and always contain '.'
 * or 'e'; NaN/inf, functions, userdata, threads, cycles and nesting deeper
 * than CP_JSON_MAXDEPTH are errors that name the path (".a.b[3]").
 * Decoding is strict RFC 8259; arrays get array_mt, null gives the null
 * sentinel, integers that fit stay integers.
 *
 * Error offsets in decode messages are 0-based byte offsets into the input
 * ("at byte 0" is the first byte).
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp.h"

/* Containers nested deeper than this are rejected both ways; it also bounds
 * the C recursion of the encoder and decoder. */
#define CP_JSON_MAXDEPTH 1000

#if defined(__GNUC__) || defined(__clang__)
#define CP_NOINLINE __attribute__((noinline))
#define CP_LIKELY(x) __builtin_expect(!!(x), 1)
#define CP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CP_NOINLINE
#define CP_LIKELY(x) (x)
#define CP_UNLIKELY(x) (x)
#endif

/* The fast float paths rely on double arithmetic being done in double
 * precision (one correctly rounded operation).  x87 extended precision
 * would break that, so they are compiled out there. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define CP_FAST_FLOAT 1
#else
#define CP_FAST_FLOAT 0
#endif

/* Registry keys: only their addresses matter. */
static const char null_key = 'n';
static const char array_mt_key = 'a';
static const char empty_array_key = 'e';
static const char module_key = 'm';

/* ---- shared tables and helpers ------------------------------------------ */

/* Powers of ten that are exact doubles (10^22 is the last one). */
static const double pow10_tab[23] = {
  1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * Nonzero if any of the 8 bytes in x needs attention inside a JSON string,
 * in either direction: '"', '\\', a control char < 0x20, or a byte >= 0x80.
 * Used to skip plain ASCII runs 8 bytes at a time.  (Classic SWAR tests:
 * (v - 0x01..) & ~v & 0x80.. is nonzero iff some byte of v is zero, and
 * (x - n*0x01..) & ~x & 0x80.. iff some byte is < n, for n <= 128.)
 */
static uint64_t str_special8(uint64_t x) {
  uint64_t q = x ^ (ONES * 0x22), b = x ^ (ONES * 0x5c);
  return (x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) |
          ((b - ONES) & ~b)) & HIGHS;
}

static uint64_t load8(const unsigned char *p) {
  uint64_t x;
  memcpy(&x, p, 8); /* unaligned-safe; compiles to one load */
  return x;
}

static uint32_t load4(const unsigned char *p) {
  uint32_t x;
  memcpy(&x, p, 4);
  return x;
}

/*
 * Bytes to skip before the first special byte of a word where
 * str_special8 found one.  Its lowest flagged byte is always a true one
 * (false positives come only from a borrow out of a lower byte), so on a
 * little-endian machine the count of trailing zero bits finds it; elsewhere
 * 0, and the caller's byte loop takes over.
 */
/*
 * Long plain runs (a big string message: W12) go 16 bytes at a time where
 * SSE2 is there (every x86-64).  One signed compare with 0x20 flags both
 * control characters and bytes >= 0x80 (negative as signed bytes).
 */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define CP_SSE2 1

static int sse_special(__m128i v) {
  return _mm_movemask_epi8(_mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                   _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
      _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
}

/* The first special byte at or after p, or where fewer than 16 are left. */
static const unsigned char *sse_skip(const unsigned char *p, const unsigned char *end) {
  while (end - p >= 16) {
    int m = sse_special(_mm_loadu_si128((const __m128i *)(const void *)p));
    if (m) return p + __builtin_ctz((unsigned)m);
    p += 16;
  }
  return p;
}

/* Copy plain bytes from p to o, 16 at a time, while 16 are left; returns
 * how many were plain.  Stores whole blocks: o needs room for left + 1. */
static size_t sse_copy(char *o, const unsigned char *p, size_t left) {
  size_t n = 0;
  while (left - n >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + n));
    int m = sse_special(v);
    _mm_storeu_si128((__m128i *)(void *)(o + n), v);
    if (m) return n + (size_t)__builtin_ctz((unsigned)m);
    n += 16;
  }
  return n;
}
#else
#define CP_SSE2 0
#endif

#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SPECIAL_SKIP(m) ((size_t)__builtin_ctzll(m) >> 3)
#else
#define SPECIAL_SKIP(m) ((size_t)0 * (size_t)(m))
#endif

/*
 * Length (2..4) of the well-formed UTF-8 sequence at p (p[0] >= 0x80), or 0
 * if it is ill-formed: a stray continuation byte, an overlong form, an
 * encoded surrogate U+D800..DFFF, a code point above U+10FFFF, or a
 * truncated sequence.  Follows Table 3-7 of the Unicode standard.
 */
static size_t utf8_seq(const unsigned char *p, size_t avail) {
  unsigned c = p[0], lo = 0x80, hi = 0xBF;
  if (c < 0xC2) return 0;
  if (c < 0xE0) return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3) return 0;
    if (c == 0xE0) lo = 0xA0;      /* overlong */
    else if (c == 0xED) hi = 0x9F; /* surrogates */
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4) return 0;
    if (c == 0xF0) lo = 0x90;      /* overlong */
    else if (c == 0xF4) hi = 0x8F; /* > U+10FFFF */
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
        (p[3] & 0xC0) != 0x80)
      return 0;
    return 4;
  }
  return 0;
}

/* Write the decimal text of v ending just before `end`; returns the start. */
static char *fmt_uint(char *end, unsigned long long v) {
  static const char digits2[201] =
      "00010203040506070809101112131415161718192021222324252627282930313233"
      "34353637383940414243444546474849505152535455565758596061626364656667"
      "6869707172737475767778798081828384858687888990919293949596979899";
  while (v >= 100) {
    unsigned i = (unsigned)(v % 100) * 2;
    v /= 100;
    *--end = digits2[i + 1];
    *--end = digits2[i];
  }
  if (v >= 10) {
    *--end = digits2[v * 2 + 1];
    *--end = digits2[v * 2];
  } else {
    *--end = (char)('0' + v);
  }
  return end;
}

/* Decimal text of an integer into buf (>= 21 bytes); returns its length.
 * The magnitude is computed in unsigned arithmetic so LUA_MININTEGER works. */
static size_t fmt_int(char *buf, lua_Integer v) {
  char tmp[24], *end = tmp + sizeof tmp, *s;
  unsigned long long u = (unsigned long long)v;
  size_t n;
  if (v < 0) u = 0ULL - u;
  s = fmt_uint(end, u);
  if (v < 0) *--s = '-';
  n = (size_t)(end - s);
  memcpy(buf, s, n);
  return n;
}

/* ---- sentinels ----------------------------------------------------------- */

static int null_tostring(lua_State *L) {
  lua_pushliteral(L, "null");
  return 1;
}

void cp_json_push_null(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &null_key) != LUA_TNIL) return;
  lua_pop(L, 1);
  /* A zero-size full userdata: unique per state, compares equal only to
   * itself, and cannot be confused with a light userdata from C. */
  lua_newuserdatauv(L, 0, 0);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, null_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "cp.json.null");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0); /* getmetatable(null) is false: keep it sealed */
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &null_key);
}

void cp_json_push_array_mt(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &array_mt_key) != LUA_TNIL) return;
  lua_pop(L, 1);
  /* A plain table so users can setmetatable(t, json.array_mt); __name makes
   * it recognizable (tostring shows "cp.json.array: 0x..."). */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "cp.json.array");
  lua_setfield(L, -2, "__name");
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &array_mt_key);
}

/* Shared by every user of the state, so users must not mutate it (adding
 * elements would change what every `empty_array` encodes to). */
static void push_empty_array(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &empty_array_key) != LUA_TNIL) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 0);
  cp_json_push_array_mt(L);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &empty_array_key);
}

/* ---- encoder ------------------------------------------------------------- */

/* One step of the path from the root to the value being encoded. */
typedef struct {
  int key_idx;       /* object member: stack index of its key; 0 for arrays */
  lua_Integer index; /* array element: 1-based Lua index */
} enc_step;

typedef struct {
  lua_State *L;
  cp_buf *out;
  const void *null_ud;  /* the null sentinel, compared by address */
  const void *array_mt; /* likewise */
  int errslot;          /* stack slot that receives the error message */
  int no_seq;           /* enc_seq gave up once after encoding: not again */
  /* tables[i] is the table at path length i: the ancestors of the value
   * being encoded, for cycle detection by a cheap pointer scan. */
  const void *tables[CP_JSON_MAXDEPTH + 1];
  enc_step path[CP_JSON_MAXDEPTH + 1];
} enc_state;

/* A sentinel (null or array_mt), fetched from the registry only when a
 * value could be one (a userdata, a table with a metatable): most messages
 * have neither.  The registry keeps both alive, so the address stays valid. */
static const void *enc_sentinel(enc_state *e, const void **cached,
                                void (*push)(lua_State *)) {
  if (*cached == NULL) {
    push(e->L);
    *cached = lua_topointer(e->L, -1);
    lua_pop(e->L, 1);
  }
  return *cached;
}

static int is_ident(const char *s, size_t n) {
  size_t i;
  if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9')))
      return 0;
  }
  return 1;
}

/* Append ["key"] with '"', '\\', control chars and invalid UTF-8 written
 * as Lua decimal escapes, so the message itself stays printable UTF-8. */
static void add_quoted(luaL_Buffer *B, const char *str, size_t len) {
  const unsigned char *p = (const unsigned char *)str, *end = p + len;
  luaL_addstring(B, "[\"");
  while (p < end) {
    size_t n = 1;
    if (*p >= 0x80) n = utf8_seq(p, (size_t)(end - p));
    if (n == 0 || *p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') {
      char esc[8];
      snprintf(esc, sizeof esc, "\\%u", (unsigned)*p);
      luaL_addstring(B, esc);
      n = 1;
    } else {
      luaL_addlstring(B, (const char *)p, n);
    }
    p += n;
  }
  luaL_addstring(B, "\"]");
}

/* Paths longer than 2 * PATH_ENDS steps are shortened in messages. */
#define PATH_ENDS 16

/*
 * Record an encoding error: builds "<what> at <path>" for the value at path
 * length d and stores it in errslot.  The path is only built here, from the
 * keys still on the stack, so the normal path pays nothing for it.  `what`
 * is a format with one %s (arg).  Returns -1 for the caller to propagate.
 */
static CP_NOINLINE int enc_fail(enc_state *e, int d, const char *what,
                                const char *arg) {
  lua_State *L = e->L;
  luaL_Buffer B;
  char num[24];
  int i;
  luaL_buffinit(L, &B);
  if (d == 0) luaL_addstring(&B, "<root>");
  for (i = 0; i < d; i++) {
    int k = e->path[i].key_idx;
    if (d > 2 * PATH_ENDS && i == PATH_ENDS) {
      /* very deep: keep the first and last steps, elide the middle */
      luaL_addstring(&B, "...");
      i = d - PATH_ENDS - 1;
      continue;
    }
    if (k == 0 || lua_type(L, k) == LUA_TNUMBER) {
      lua_Integer n = k == 0 ? e->path[i].index : lua_tointeger(L, k);
      luaL_addchar(&B, '[');
      luaL_addlstring(&B, num, fmt_int(num, n));
      luaL_addchar(&B, ']');
    } else {
      size_t len;
      const char *s = lua_tolstring(L, k, &len); /* a string: no conversion */
      if (is_ident(s, len)) {
        luaL_addchar(&B, '.');
        luaL_addlstring(&B, s, len);
      } else {
        add_quoted(&B, s, len);
      }
    }
  }
  luaL_pushresult(&B);
  lua_pushfstring(L, what, arg);
  lua_pushliteral(L, " at ");
  lua_pushvalue(L, -3);
  lua_concat(L, 3);
  lua_replace(L, e->errslot);
  lua_pop(L, 1);
  return -1;
}

static CP_NOINLINE int enc_nomem(enc_state *e) {
  lua_pushliteral(e->L, "not enough memory");
  lua_replace(e->L, e->errslot);
  return -1;
}

/* Make room for n more bytes or fail. */
#define ENC_RESERVE(e, n)                                                     \
  do {                                                                        \
    if (CP_UNLIKELY((e)->out->cap - (e)->out->len < (size_t)(n)) &&           \
        cp_buf_reserve((e)->out, (n)) != 0)                                   \
      return enc_nomem(e);                                                    \
  } while (0)

#define ENC_PUTC(e, c)                                                        \
  do {                                                                        \
    ENC_RESERVE(e, 1);                                                        \
    (e)->out->data[(e)->out->len++] = (char)(c);                              \
  } while (0)

/* 0: copy as is; 1: needs an escape; 2: a UTF-8 lead byte to validate.
 * For escaped bytes, esc_short holds the one-letter form or 0 for \u00XX. */
static const unsigned char enc_class[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x80.. */
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};

static char esc_short(unsigned char c) {
  switch (c) {
  case '"': return '"';
  case '\\': return '\\';
  case '\n': return 'n';
  case '\t': return 't';
  case '\r': return 'r';
  case '\b': return 'b';
  case '\f': return 'f';
  default: return 0;
  }
}

/*
 * Append s as a JSON string.  Returns 0, -1 (out of memory, message set) or
 * 1 (invalid UTF-8: the caller reports it with the path).
 *
 * Room: we reserve len + 2 up front, which covers every byte copied as is;
 * the invariant "room >= bytes left + 1" holds through the loop, and only an
 * escape (up to 6 bytes for 1) may need to grow the buffer.  So whenever 8
 * or more bytes are left, 8 may be stored before knowing how many count.
 *
 * Plain ASCII goes 8 bytes at a time; a string shorter than 8 bytes (most
 * keys) is checked as one word made of overlapping loads, and the last
 * partial word of a longer one as the word that ends at its end.
 */
/* A string this long gets a buffer of just its size (cp_buf_reserve_exact)
 * rather than one that doubles past it. */
#define ENC_BIG (1024 * 1024)

static int enc_string(enc_state *e, const char *str, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)str, *end = p + len;
  cp_buf *b = e->out;
  char *o;
  if (len >= ENC_BIG && b->cap - b->len < len + 2 &&
      cp_buf_reserve_exact(b, len + 2) != 0)
    return enc_nomem(e);
  ENC_RESERVE(e, len + 2);
  o = b->data + b->len;
  *o++ = '"';
  if (len < 8) {
    uint64_t x;
    if (len >= 4) {
      uint32_t lo = load4(p), hi = load4(end - 4);
      x = lo | (uint64_t)hi << 32;
      if (!str_special8(x)) {
        memcpy(o, &lo, 4);
        memcpy(o + len - 4, &hi, 4);
        o += len;
        p = end;
      }
    } else if (len > 0) {
      /* bytes 0, len/2 and len-1 cover 1..3 bytes; the rest is 'a' */
      x = (ONES * 'a' << 24) | p[0] | (uint64_t)p[len >> 1] << 8 |
          (uint64_t)p[len - 1] << 16;
      if (!str_special8(x)) {
        o[0] = (char)p[0];
        o[len >> 1] = (char)p[len >> 1];
        o[len - 1] = (char)p[len - 1];
        o += len;
        p = end;
      }
    }
  }
  while (p < end) {
    unsigned char c;
    size_t left = (size_t)(end - p);
    if (left >= 8) {
      uint64_t m = str_special8(load8(p));
      memcpy(o, p, 8);
      if (!m) {
        o += 8;
        p += 8;
#if CP_SSE2
        /* a plain word: likely a long run, worth the wider loop */
        if (left - 8 >= 16) {
          size_t k = sse_copy(o, p, left - 8);
          o += k;
          p += k;
        }
#endif
        continue;
      }
      m = SPECIAL_SKIP(m);
      o += m;
      p += m;
      left -= m;
    } else if (len >= 8 && !str_special8(load8(end - 8))) {
      /* The word ending at the end is plain, so its bytes before p were
       * copied as they are: storing it again rewrites them unchanged. */
      memcpy(o + left - 8, end - 8, 8);
      o += left;
      break;
    }
    c = *p;
    switch (enc_class[c]) {
    case 0:
      *o++ = (char)c;
      p++;
      break;
    case 1: {
      char sh = esc_short(c);
      if ((size_t)(b->data + b->cap - o) < left + 6) {
        b->len = (size_t)(o - b->data);
        if (cp_buf_reserve(b, left + 6) != 0) return enc_nomem(e);
        o = b->data + b->len;
      }
      *o++ = '\\';
      if (sh) {
        *o++ = sh;
      } else {
        o[0] = 'u'; o[1] = '0'; o[2] = '0';
        o[3] = hex[c >> 4]; o[4] = hex[c & 15];
        o += 5;
      }
      p++;
      break;
    }
    default: {
      size_t n = utf8_seq(p, left);
      if (n == 0) return 1;
      o[0] = (char)p[0];
      o[1] = (char)p[1];
      if (n > 2) {
        o[2] = (char)p[2];
        if (n > 3) o[3] = (char)p[3];
      }
      o += n;
      p += n;
      break;
    }
    }
  }
  *o++ = '"';
  b->len = (size_t)(o - b->data);
  return 0;
}

#if CP_FAST_FLOAT
/*
 * Text of the double m * 10^q (m an integer < 2^53 without trailing zeros,
 * the digits found by fmt_double) laid out as printf's "%.Pg" would, with
 * P = max(15, digits): the same text the snprintf path below gives.
 */
static size_t fmt_decimal(char *buf, int neg, unsigned long long m, int q) {
  char tmp[24], *end = tmp + sizeof tmp, *s = fmt_uint(end, m), *p = buf;
  int n = (int)(end - s), ex = q + n - 1, prec = n > 15 ? n : 15;
  if (neg) *p++ = '-';
  if (ex < -4 || ex >= prec) { /* d[.ddd]e±XX */
    unsigned ax = (unsigned)(ex < 0 ? -ex : ex);
    *p++ = s[0];
    if (n > 1) {
      *p++ = '.';
      memcpy(p, s + 1, (size_t)n - 1);
      p += n - 1;
    }
    *p++ = 'e';
    *p++ = ex < 0 ? '-' : '+';
    if (ax >= 100) *p++ = (char)('0' + ax / 100);
    *p++ = (char)('0' + ax / 10 % 10);
    *p++ = (char)('0' + ax % 10);
  } else if (q >= 0) { /* ddd000.0 */
    memcpy(p, s, (size_t)n);
    p += n;
    memset(p, '0', (size_t)q);
    p += q;
    *p++ = '.';
    *p++ = '0';
  } else if (n > -q) { /* ddd.ddd */
    memcpy(p, s, (size_t)(n + q));
    p += n + q;
    *p++ = '.';
    memcpy(p, s + n + q, (size_t)-q);
    p += -q;
  } else { /* 0.000ddd */
    *p++ = '0';
    *p++ = '.';
    memset(p, '0', (size_t)(-q - n));
    p += -q - n;
    memcpy(p, s, (size_t)n);
    p += n;
  }
  return (size_t)(p - buf);
}
#endif

/*
 * Shortest decimal text of a finite double that strtod reads back exactly,
 * always with '.' or 'e' so Lua reads it back as a float.  buf >= 40 bytes.
 */
static size_t fmt_double(char *buf, double x) {
  char *p;
  size_t n;
  int prec;
  double ax = fabs(x);
#if CP_FAST_FLOAT
  /*
   * Fast path for values with a short exact decimal form m * 10^q, the
   * common case (0.5, 12345.678, 3.141592653589793, 6.02214076e+23,
   * 1.5e-09).  When m < 2^53 and |q| <= 22, m and 10^|q| are exact doubles
   * and m * 10^q (or m / 10^-q) is one correctly rounded operation, which
   * is what strtod computes for "m e q"; so if it equals x, the text reads
   * back to x.  Candidates are tried with 1, 2, ... significant digits, so
   * the first that reads back is the shortest.  A candidate is ax / 10^q
   * rounded: with up to 15 digits its error is far below 1/2, so it is the
   * right one; longer ones may miss and then the slow path decides.
   *
   * The decimal exponent of ax is floor(e2*log10(2)) or one more, e2 its
   * binary exponent.  E takes one more always: an overestimate only makes
   * the first candidate one of 0 digits (it fails), it never skips a length.
   */
  if (ax >= 1e-22 && ax < 1e38) {
    uint64_t bits;
    int e2, t, E, nd;
    memcpy(&bits, &ax, sizeof bits);
    e2 = (int)((bits >> 52) & 0x7ff) - 1023; /* ax in [2^e2, 2^(e2+1)) */
    t = e2 * 78913;                          /* 78913 / 2^18 ~ log10(2) */
    E = (t >= 0 ? t >> 18 : -((-t + (1 << 18) - 1) >> 18)) + 1;
    for (nd = 1; nd <= 18; nd++) {
      int q = E - nd + 1;
      double y, m;
      if (q > 22) continue;
      if (q < -22) break;
      y = q >= 0 ? ax / pow10_tab[q] : ax * pow10_tab[-q];
      if (y >= 9007199254740992.0) break;
      /* y + 0.5 rounded down: y >= 0, so truncation is floor (signed, as
       * it is one instruction on x86-64; y < 2^53 fits) */
      m = (double)(long long)(y + 0.5);
      if ((q >= 0 ? m * pow10_tab[q] : m / pow10_tab[-q]) != ax) continue;
      {
        unsigned long long u = (unsigned long long)m;
        while (u % 10 == 0) { /* not expected; keeps the text canonical */
          u /= 10;
          q++;
        }
        return fmt_decimal(buf, x < 0, u, q);
      }
    }
  }
#endif
  if (x == 0) { /* keeps the sign of -0.0 */
    if (signbit(x)) { memcpy(buf, "-0.0", 4); return 4; }
    memcpy(buf, "0.0", 3);
    return 3;
  }
  /* 15 significant digits always round-trip to a normal double with at
   * most 15 digits, 17 always round-trip; subnormals have fewer digits of
   * precision, so search all precisions for them (rare). */
  for (prec = ax < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
    snprintf(buf, 40, "%.*g", prec, x);
    if (prec == 17 || strtod(buf, NULL) == x) break;
  }
  /* Locale independence: a ',' decimal point becomes '.' (strtod above ran
   * in the same locale, so the check was consistent). */
  n = strlen(buf);
  for (p = buf; *p; p++) {
    if (*p == ',') *p = '.';
  }
  if (!strpbrk(buf, ".eni")) {
    buf[n++] = '.';
    buf[n++] = '0';
  }
  return n;
}

static int enc_value(enc_state *e, int vi, int d);

/*
 * The common array in one pass: when lua_next yields the keys 1..n in this
 * order and nothing else (as PUC Lua and LuaJIT do for a table whose 1..n
 * sit in its array part), the table is an array by either rule of
 * enc_table and its elements are encoded as they come, with no second walk
 * to classify it and no lua_rawgeti.  Anything else (another key, another
 * order, a hole, an element that fails to encode) restores the output and
 * the stack and returns 0: enc_table then classifies the table the long
 * way, so results and error messages are exactly its own.  After one such
 * retreat with work done, e->no_seq keeps later tables of this call on the
 * long way, so contrived nestings cannot make the retries compound.
 * Returns 1 when encoded, 0 to go the long way, -1 out of memory.
 */
static int enc_seq(enc_state *e, int ti, int d, lua_Unsigned n) {
  lua_State *L = e->L;
  size_t len0 = e->out->len;
  int top = lua_gettop(L);
  lua_Unsigned j = 0;
  ENC_PUTC(e, '[');
  e->path[d].key_idx = 0;
  lua_pushnil(L);
  while (lua_next(L, ti)) {
    if (j >= n || !lua_isinteger(L, top + 1) ||
        lua_tointeger(L, top + 1) != (lua_Integer)(j + 1))
      goto retreat;
    j++;
    if (j > 1) ENC_PUTC(e, ',');
    e->path[d].index = (lua_Integer)j;
    if (enc_value(e, top + 2, d + 1)) goto retreat;
    lua_settop(L, top + 1);
  }
  if (j == n) {
    ENC_PUTC(e, ']');
    return 1;
  }
retreat:
  if (j > 0) e->no_seq = 1;
  e->out->len = len0;
  lua_settop(L, top);
  return 0;
}

/* Out of line: enc_value, which runs for every scalar, keeps a small frame. */
static CP_NOINLINE int enc_table(enc_state *e, int ti, int d) {
  lua_State *L = e->L;
  const void *ptr = lua_topointer(L, ti);
  lua_Unsigned n;
  int i, is_array = 0, amt = 0;

  for (i = 0; i < d; i++) {
    if (e->tables[i] == ptr) return enc_fail(e, d, "cycle%s", "");
  }
  if (d >= CP_JSON_MAXDEPTH)
    return enc_fail(e, d, "nesting deeper than %s", "1000");
  if (!lua_checkstack(L, 6)) return enc_fail(e, d, "%sstack overflow", "");
  e->tables[d] = ptr;

  if (lua_getmetatable(L, ti)) {
    amt = lua_topointer(L, -1) == enc_sentinel(e, &e->array_mt, cp_json_push_array_mt);
    lua_pop(L, 1);
  }
  n = lua_rawlen(L, ti);
  if ((amt || n > 0) && !e->no_seq) {
    int r = enc_seq(e, ti, d, n);
    if (r != 0) return r < 0 ? -1 : 0;
  }
  if (amt) {
    /* An explicit array: encode 1..max key, holes as null (#t is only a
     * border: {[1]="a",[3]="c"} may have #t == 1).  Other keys would be
     * silently lost, so non-integer keys are an error; keys below 1 are
     * ignored.  A table far sparser than any array (a lone [1e9]) is an
     * error rather than gigabytes of nulls. */
    lua_Unsigned count = 0, max = 0;
    is_array = 1;
    lua_pushnil(L);
    while (lua_next(L, ti)) {
      lua_pop(L, 1);
      if (!lua_isinteger(L, -1)) {
        const char *tn = luaL_typename(L, -1);
        if (lua_type(L, -1) == LUA_TNUMBER) tn = "float";
        return enc_fail(e, d, "cannot encode array with %s key", tn);
      }
      if (lua_tointeger(L, -1) >= 1) {
        count++;
        if ((lua_Unsigned)lua_tointeger(L, -1) > max) max = (lua_Unsigned)lua_tointeger(L, -1);
      }
    }
    if (max > n) {
      if (max > count * 4 + 1024)
        return enc_fail(e, d, "array too sparse to encode (%s)", "holes beyond 4 per element");
      n = max;
    }
  } else if (n > 0) {
    /* Keys exactly 1..n: all keys integers in 1..n and n of them. */
    lua_Unsigned count = 0;
    is_array = 1;
    lua_pushnil(L);
    while (lua_next(L, ti)) {
      lua_pop(L, 1);
      if (!lua_isinteger(L, -1) ||
          (lua_Unsigned)lua_tointeger(L, -1) - 1 >= n) {
        lua_pop(L, 1);
        is_array = 0;
        break;
      }
      count++;
    }
    if (count != n) is_array = 0;
  }

  if (is_array) {
    lua_Unsigned j;
    ENC_PUTC(e, '[');
    e->path[d].key_idx = 0;
    for (j = 1; j <= n; j++) {
      if (j > 1) ENC_PUTC(e, ',');
      lua_rawgeti(L, ti, (lua_Integer)j);
      e->path[d].index = (lua_Integer)j;
      if (enc_value(e, lua_gettop(L), d + 1)) return -1;
      lua_pop(L, 1);
    }
    ENC_PUTC(e, ']');
    return 0;
  }

  ENC_PUTC(e, '{');
  {
    int first = 1, top = lua_gettop(L) + 2; /* the value's slot */
    lua_pushnil(L);
    while (lua_next(L, ti)) {
      if (!first) ENC_PUTC(e, ',');
      first = 0;
      switch (lua_type(L, top - 1)) {
      case LUA_TSTRING: {
        size_t kl;
        const char *ks = lua_tolstring(L, top - 1, &kl);
        int r = enc_string(e, ks, kl);
        if (r < 0) return -1;
        if (r > 0) {
          e->path[d].key_idx = top - 1; /* name the bad key itself */
          return enc_fail(e, d + 1, "invalid UTF-8 in key%s", "");
        }
        break;
      }
      case LUA_TNUMBER:
        if (lua_isinteger(L, top - 1)) {
          /* Formatted here: lua_tolstring would convert the key in place
           * and confuse lua_next. */
          char *k;
          size_t kl;
          ENC_RESERVE(e, 24);
          k = e->out->data + e->out->len;
          k[0] = '"';
          kl = fmt_int(k + 1, lua_tointeger(L, top - 1));
          k[kl + 1] = '"';
          /* {[1]=a, ["1"]=b} would give two "1" members and decode to one:
           * refuse rather than lose data.  Integer keys in objects are rare,
           * so this lookup costs nothing on typical data. */
          lua_pushlstring(L, k + 1, kl);
          if (lua_rawget(L, ti) != LUA_TNIL) {
            lua_pushlstring(L, k + 1, kl);
            return enc_fail(e, d, "cannot encode table with key %s both as "
                            "integer and string", lua_tostring(L, -1));
          }
          lua_pop(L, 1);
          e->out->len += kl + 2;
          break;
        }
        return enc_fail(e, d, "cannot encode table key of type %s", "float");
      default:
        return enc_fail(e, d, "cannot encode table key of type %s",
                        luaL_typename(L, top - 1));
      }
      ENC_PUTC(e, ':');
      e->path[d].key_idx = top - 1;
      if (enc_value(e, top, d + 1)) return -1;
      lua_pop(L, 1);
    }
  }
  ENC_PUTC(e, '}');
  return 0;
}

/* Encode the value at stack index vi (absolute), at path length d. */
static int enc_value(enc_state *e, int vi, int d) {
  lua_State *L = e->L;
  switch (lua_type(L, vi)) {
  case LUA_TSTRING: {
    size_t len;
    const char *s = lua_tolstring(L, vi, &len);
    int r = enc_string(e, s, len);
    if (r > 0) return enc_fail(e, d, "invalid UTF-8 in string%s", "");
    return r;
  }
  case LUA_TNUMBER:
    ENC_RESERVE(e, 48);
    if (lua_isinteger(L, vi)) {
      e->out->len += fmt_int(e->out->data + e->out->len, lua_tointeger(L, vi));
    } else {
      lua_Number x = lua_tonumber(L, vi);
      if (x != x) return enc_fail(e, d, "cannot encode %s", "NaN");
      if (x == HUGE_VAL || x == -HUGE_VAL)
        return enc_fail(e, d, "cannot encode %s", x > 0 ? "inf" : "-inf");
      e->out->len += fmt_double(e->out->data + e->out->len, (double)x);
    }
    return 0;
  case LUA_TBOOLEAN:
    ENC_RESERVE(e, 5);
    if (lua_toboolean(L, vi)) {
      memcpy(e->out->data + e->out->len, "true", 4);
      e->out->len += 4;
    } else {
      memcpy(e->out->data + e->out->len, "false", 5);
      e->out->len += 5;
    }
    return 0;
  case LUA_TNIL: /* only from holes in array_mt tables, or a nil argument */
    ENC_RESERVE(e, 4);
    memcpy(e->out->data + e->out->len, "null", 4);
    e->out->len += 4;
    return 0;
  case LUA_TTABLE:
    return enc_table(e, vi, d);
  case LUA_TUSERDATA:
    if (lua_touserdata(L, vi) == enc_sentinel(e, &e->null_ud, cp_json_push_null)) {
      ENC_RESERVE(e, 4);
      memcpy(e->out->data + e->out->len, "null", 4);
      e->out->len += 4;
      return 0;
    }
    return enc_fail(e, d, "cannot encode %s", "userdata");
  default:
    return enc_fail(e, d, "cannot encode %s", luaL_typename(L, vi));
  }
}

int cp_json_encode(lua_State *L, int idx, cp_buf *out) {
  /* The state holds ~24 KB of path/ancestor arrays on the C stack: once
   * per call, never per nesting level. */
  enc_state e;
  size_t len0 = out->len;
  int base, r;
  idx = lua_absindex(L, idx);
  base = lua_gettop(L);
  if (!lua_checkstack(L, 8)) {
    lua_pushliteral(L, "stack overflow");
    return -1;
  }
  e.L = L;
  e.out = out;
  e.null_ud = e.array_mt = NULL; /* looked up on first use */
  e.no_seq = 0;
  lua_pushnil(L);
  e.errslot = base + 1;
  r = enc_value(&e, idx, 0);
  if (r == 0) {
    lua_settop(L, base);
    return 0;
  }
  out->len = len0;
  lua_settop(L, base + 1); /* just the message */
  return -1;
}

/* ---- decoder ------------------------------------------------------------- */

typedef struct {
  lua_State *L;
  const unsigned char *start, *p, *end;
  int depth;
  int array_mt; /* stack index of array_mt (nil until first needed) */
  int null_idx; /* stack index of the null sentinel (likewise) */
  const char *err; /* what went wrong ... */
  size_t errpos;   /* ... and where (0-based byte offset) */
} dec_state;

static CP_NOINLINE int dec_fail(dec_state *d, const char *what,
                                const unsigned char *at) {
  d->err = what;
  d->errpos = (size_t)(at - d->start);
  return -1;
}

static void skip_ws_slow(dec_state *d) {
  const unsigned char *p = d->p, *end = d->end;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  d->p = p;
}

/* Most JSON on the wire has no whitespace: one compare decides. */
#define skip_ws(d)                                                            \
  do {                                                                        \
    if ((d)->p < (d)->end && *(d)->p <= ' ') skip_ws_slow(d);                 \
  } while (0)

static int hexval(unsigned c) {
  if (c - '0' < 10) return (int)(c - '0');
  c |= 0x20;
  if (c - 'a' < 6) return (int)(c - 'a' + 10);
  return -1;
}

/* Four hex digits at p (p + 4 <= end checked by caller), or -1. */
static long hex4(const unsigned char *p) {
  int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), x = hexval(p[3]);
  if ((a | b | c | x) < 0) return -1;
  return (long)((a << 12) | (b << 8) | (c << 4) | x);
}

/*
 * Second pass for strings with escapes: s..e is the raw body (between the
 * quotes, already checked for control chars and UTF-8).  The decoded text is
 * never longer than the raw one, so it is decoded into a scratch area of
 * that size and then pushed: a C array for short strings, else a userdata
 * (GC-managed, so neither an error return nor a memory error leaks it).
 *
 * Not luaL_Buffer: its box is a to-be-closed slot, and closing it from
 * lua_settop on an error path can leave a dangling top in Lua 5.4.4 when
 * the __close call grows the stack (found by fuzz_json_decode).  Kept out
 * of line so the scratch array is not in every recursive frame.
 */
#define DEC_SCRATCH 256
static CP_NOINLINE int dec_escaped(dec_state *d, const unsigned char *s,
                                   const unsigned char *e) {
  char tmp[DEC_SCRATCH], *o0, *o;
  size_t cap = (size_t)(e - s);
  tmp[0] = '\0'; /* quiets gcc's maybe-uninitialized; always overwritten */
  o0 = cap <= sizeof tmp ? tmp : (char *)lua_newuserdatauv(d->L, cap, 0);
  o = o0;
  while (s < e) {
    const unsigned char *run = s;
    s = memchr(s, '\\', (size_t)(e - s));
    if (s == NULL) s = e;
    memcpy(o, run, (size_t)(s - run));
    o += s - run;
    if (s >= e) break;
    /* s at a backslash; the first pass guaranteed a byte after it */
    switch (s[1]) {
    case '"': *o++ = '"'; s += 2; break;
    case '\\': *o++ = '\\'; s += 2; break;
    case '/': *o++ = '/'; s += 2; break;
    case 'b': *o++ = '\b'; s += 2; break;
    case 'f': *o++ = '\f'; s += 2; break;
    case 'n': *o++ = '\n'; s += 2; break;
    case 'r': *o++ = '\r'; s += 2; break;
    case 't': *o++ = '\t'; s += 2; break;
    case 'u': {
      long cp, lo;
      if (e - s < 6 || (cp = hex4(s + 2)) < 0)
        return dec_fail(d, "invalid \\u escape", s);
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        return dec_fail(d, "lone low surrogate in \\u escape", s);
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (e - s < 12 || s[6] != '\\' || s[7] != 'u' ||
            (lo = hex4(s + 8)) < 0 || lo < 0xDC00 || lo > 0xDFFF)
          return dec_fail(d, "lone high surrogate in \\u escape", s);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        s += 12;
      } else {
        s += 6;
      }
      if (cp < 0x80) {
        *o++ = (char)cp;
      } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
      } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
      }
      break;
    }
    default:
      return dec_fail(d, "invalid escape", s);
    }
  }
  lua_pushlstring(d->L, o0, (size_t)(o - o0));
  if (o0 != tmp) lua_remove(d->L, -2); /* the scratch userdata */
  return 0;
}

/* d->p is just past the opening quote.  Pushes the string. */
static int dec_string(dec_state *d) {
  const unsigned char *s = d->p, *p = s, *end = d->end;
  int escaped = 0;
  for (;;) {
    unsigned c;
    while (end - p >= 8) {
      uint64_t m = str_special8(load8(p));
      if (m) {
        p += SPECIAL_SKIP(m); /* to the first special byte */
        break;
      }
      p += 8;
#if CP_SSE2
      p = sse_skip(p, end); /* a plain word: likely a long run */
#endif
    }
    if (p >= end) return dec_fail(d, "unterminated string", s - 1);
    c = *p;
    if (c == '"') break;
    if (c == '\\') {
      escaped = 1;
      p += 2; /* the escape is checked in the second pass */
    } else if (c < 0x20) {
      return dec_fail(d, "control character in string", p);
    } else if (c >= 0x80) {
      size_t n = utf8_seq(p, (size_t)(end - p));
      if (n == 0) return dec_fail(d, "invalid UTF-8 in string", p);
      p += n;
    } else {
      p++;
    }
  }
  d->p = p + 1;
  if (!escaped) {
    lua_pushlstring(d->L, (const char *)s, (size_t)(p - s));
    return 0;
  }
  return dec_escaped(d, s, p);
}

/* strtod on a NUL-terminated, writable copy of the token (the input is not
 * NUL-terminated).  If the C library uses a ',' decimal point (a non-C
 * LC_NUMERIC), retry with the '.' replaced. */
static double str2d(char *buf, size_t len) {
  char *end;
  double v = strtod(buf, &end);
  if ((size_t)(end - buf) != len) {
    char *dot = strchr(buf, '.');
    if (dot != NULL) {
      *dot = localeconv()->decimal_point[0];
      v = strtod(buf, &end);
    }
  }
  return v;
}

static CP_NOINLINE double dec_slow_double(dec_state *d,
                                          const unsigned char *s, size_t len) {
  char tmp[64];
  if (len < sizeof tmp) {
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return str2d(tmp, len);
  } else {
    /* a long token (many digits): scratch space owned by the GC */
    char *buf = (char *)lua_newuserdatauv(d->L, len + 1, 0);
    double v;
    memcpy(buf, s, len);
    buf[len] = '\0';
    v = str2d(buf, len);
    lua_pop(d->L, 1);
    return v;
  }
}

static int dec_number(dec_state *d) {
  const unsigned char *s = d->p, *p = s, *end = d->end;
  unsigned long long m = 0; /* all digits, while they fit */
  int neg = 0, overflow = 0, is_float = 0, nd, sig = 0;
  long exp10 = 0;
  if (*p == '-') {
    neg = 1;
    p++;
  }
  if (p >= end || (unsigned)(*p - '0') > 9)
    return dec_fail(d, "invalid number", s);
  if (*p == '0') {
    p++;
    if (p < end && (unsigned)(*p - '0') <= 9)
      return dec_fail(d, "invalid number (leading zero)", s);
  } else {
    /* Up to 19 digits always fit in m (10^19 < 2^64); more are dropped and
     * the slow path reads the number. */
    while (p < end && (unsigned)(*p - '0') <= 9) {
      if (sig < 19) {
        m = m * 10 + (unsigned)(*p - '0');
        sig++;
      } else {
        overflow = 1;
        exp10++; /* digits dropped */
      }
      p++;
    }
  }
  if (p < end && *p == '.') {
    is_float = 1;
    p++;
    nd = 0;
    while (p < end && (unsigned)(*p - '0') <= 9) {
      unsigned dg = (unsigned)(*p - '0');
      if (sig < 19) {
        m = m * 10 + dg;
        if (m != 0) sig++; /* leading zeros (0.000x) are not significant */
        exp10--;
      } else {
        overflow = 1;
      }
      p++;
      nd++;
    }
    if (nd == 0) return dec_fail(d, "invalid number (digit expected)", p);
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    long ev = 0;
    int eneg = 0;
    is_float = 1;
    p++;
    if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
    if (p >= end || (unsigned)(*p - '0') > 9)
      return dec_fail(d, "invalid number (digit expected)", p);
    while (p < end && (unsigned)(*p - '0') <= 9) {
      if (ev < 100000) ev = ev * 10 + (*p - '0'); /* saturate */
      p++;
    }
    exp10 += eneg ? -ev : ev;
  }
  d->p = p;
  if (!is_float && !overflow) {
    /* Unsigned magnitude checks so LUA_MININTEGER is handled exactly. */
    if (!neg && m <= (unsigned long long)LUA_MAXINTEGER) {
      lua_pushinteger(d->L, (lua_Integer)m);
      return 0;
    }
    if (neg && m <= (unsigned long long)LUA_MAXINTEGER + 1) {
      lua_pushinteger(d->L, (lua_Integer)(0ULL - m));
      return 0;
    }
  }
#if CP_FAST_FLOAT
  /* Clinger's fast path: m and 10^|e| are exact doubles, so one correctly
   * rounded multiply or divide gives exactly what strtod would. */
  if (!overflow && m <= 9007199254740992ULL && exp10 >= -22 && exp10 <= 22) {
    double v = (double)m;
    v = exp10 < 0 ? v / pow10_tab[-exp10] : v * pow10_tab[exp10];
    lua_pushnumber(d->L, neg ? -v : v);
    return 0;
  }
#endif
  lua_pushnumber(d->L, dec_slow_double(d, s, (size_t)(p - s)));
  return 0;
}

static int dec_value(dec_state *d);

static int dec_literal(dec_state *d, const char *lit, size_t n) {
  if ((size_t)(d->end - d->p) < n || memcmp(d->p, lit, n) != 0)
    return dec_fail(d, "invalid literal", d->p);
  d->p += n;
  return 0;
}

/*
 * Containers are built in batches: up to DEC_BATCH elements (or members) are
 * first left on the Lua stack, then the table is created with the right size
 * and filled.  This avoids the rehash-as-it-grows that dominates decoding of
 * typical small objects.  Larger containers are flushed batch by batch.  The
 * table's slot (`t`, pushed as nil first) stays below the pending items.
 */
#define DEC_BATCH 64

/* Move the `pending` array elements above slot t into the table there. */
static void flush_array(lua_State *L, int t, int pending, lua_Integer *n,
                        int array_mt) {
  int i;
  if (lua_type(L, t) == LUA_TNIL) {
    lua_createtable(L, pending, 0);
    if (lua_type(L, array_mt) == LUA_TNIL) { /* first array of this decode */
      cp_json_push_array_mt(L);
      lua_replace(L, array_mt);
    }
    lua_pushvalue(L, array_mt);
    lua_setmetatable(L, -2);
    lua_replace(L, t);
  }
  /* lua_rawseti pops the top value: fill from the last element down. */
  for (i = pending; i > 0; i--) lua_rawseti(L, t, *n + i);
  *n += pending;
}

/* Move the `pending` key/value pairs above slot t into the table there, in
 * input order so that with duplicate keys the last one wins. */
static void flush_object(lua_State *L, int t, int pending) {
  int i;
  if (lua_type(L, t) == LUA_TNIL) {
    lua_createtable(L, 0, pending);
    lua_replace(L, t);
  }
  for (i = 0; i < pending; i++) {
    lua_pushvalue(L, t + 1 + 2 * i);
    lua_pushvalue(L, t + 2 + 2 * i);
    lua_rawset(L, t);
  }
  lua_settop(L, t);
}

static int dec_array(dec_state *d) {
  lua_State *L = d->L;
  lua_Integer n = 0;
  int t, pending = 0;
  const unsigned char *open = d->p;
  if (++d->depth > CP_JSON_MAXDEPTH)
    return dec_fail(d, "nesting deeper than 1000", open);
  if (!lua_checkstack(L, DEC_BATCH + 4))
    return dec_fail(d, "stack overflow", open);
  d->p++;
  lua_pushnil(L);
  t = lua_gettop(L);
  skip_ws(d);
  if (d->p < d->end && *d->p == ']') {
    d->p++;
  } else {
    for (;;) {
      if (pending == DEC_BATCH) {
        flush_array(L, t, pending, &n, d->array_mt);
        pending = 0;
      }
      if (dec_value(d)) return -1;
      pending++;
      skip_ws(d);
      if (d->p >= d->end)
        return dec_fail(d, "unexpected end of input", d->p);
      if (*d->p == ',') {
        d->p++;
        continue;
      }
      if (*d->p == ']') {
        d->p++;
        break;
      }
      return dec_fail(d, "expected ',' or ']'", d->p);
    }
  }
  flush_array(L, t, pending, &n, d->array_mt);
  d->depth--;
  return 0;
}

static int dec_object(dec_state *d) {
  lua_State *L = d->L;
  int t, pending = 0;
  const unsigned char *open = d->p;
  if (++d->depth > CP_JSON_MAXDEPTH)
    return dec_fail(d, "nesting deeper than 1000", open);
  if (!lua_checkstack(L, 2 * DEC_BATCH + 4))
    return dec_fail(d, "stack overflow", open);
  d->p++;
  lua_pushnil(L);
  t = lua_gettop(L);
  skip_ws(d);
  if (d->p < d->end && *d->p == '}') {
    d->p++;
  } else {
    for (;;) {
      if (pending == DEC_BATCH) {
        flush_object(L, t, pending);
        pending = 0;
      }
      skip_ws(d);
      if (d->p >= d->end)
        return dec_fail(d, "unexpected end of input", d->p);
      if (*d->p != '"') return dec_fail(d, "expected string key", d->p);
      d->p++;
      if (dec_string(d)) return -1;
      skip_ws(d);
      if (d->p >= d->end)
        return dec_fail(d, "unexpected end of input", d->p);
      if (*d->p != ':') return dec_fail(d, "expected ':'", d->p);
      d->p++;
      if (dec_value(d)) return -1;
      pending++;
      skip_ws(d);
      if (d->p >= d->end)
        return dec_fail(d, "unexpected end of input", d->p);
      if (*d->p == ',') {
        d->p++;
        continue;
      }
      if (*d->p == '}') {
        d->p++;
        break;
      }
      return dec_fail(d, "expected ',' or '}'", d->p);
    }
  }
  flush_object(L, t, pending);
  d->depth--;
  return 0;
}

static int dec_value(dec_state *d) {
  skip_ws(d);
  if (d->p >= d->end) return dec_fail(d, "unexpected end of input", d->p);
  switch (*d->p) {
  case '"':
    d->p++;
    return dec_string(d);
  case '{':
    return dec_object(d);
  case '[':
    return dec_array(d);
  case 't':
    if (dec_literal(d, "true", 4)) return -1;
    lua_pushboolean(d->L, 1);
    return 0;
  case 'f':
    if (dec_literal(d, "false", 5)) return -1;
    lua_pushboolean(d->L, 0);
    return 0;
  case 'n':
    if (dec_literal(d, "null", 4)) return -1;
    if (lua_type(d->L, d->null_idx) == LUA_TNIL) { /* first null */
      cp_json_push_null(d->L);
      lua_replace(d->L, d->null_idx);
    }
    lua_pushvalue(d->L, d->null_idx);
    return 0;
  case '-': case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9':
    return dec_number(d);
  default:
    return dec_fail(d, "expected value", d->p);
  }
}

int cp_json_decode(lua_State *L, const char *s, size_t len) {
  dec_state d;
  int base = lua_gettop(L);
  if (!lua_checkstack(L, 8)) {
    lua_pushliteral(L, "invalid JSON: stack overflow");
    return 0;
  }
  d.L = L;
  d.start = d.p = (const unsigned char *)s;
  d.end = d.start + len;
  d.depth = 0;
  d.err = NULL;
  d.errpos = 0;
  /* Slots for array_mt and null, filled on first use: a message with no
   * array and no null costs no registry lookup. */
  lua_pushnil(L);
  d.array_mt = base + 1;
  lua_pushnil(L);
  d.null_idx = base + 2;
  if (dec_value(&d) == 0) {
    skip_ws(&d);
    if (d.p == d.end) {
      lua_replace(L, base + 1);
      lua_settop(L, base + 1);
      return 1;
    }
    dec_fail(&d, "unexpected data after the value", d.p);
  }
  lua_settop(L, base);
  lua_pushfstring(L, "invalid JSON: %s at byte %d", d.err, (int)d.errpos); /* %I: 5.3+ */
  return 0;
}

/* ---- Lua functions ------------------------------------------------------- */

/*
 * json.encode keeps one output buffer per state (in a userdata upvalue) and
 * reuses it, so a typical call does no malloc at all.  The userdata's __gc
 * frees it, so a memory error while encoding leaks nothing.  `busy` guards
 * against re-entry: a finalizer run by a GC step inside encode could call
 * json.encode again; that call then uses a buffer of its own.
 */
typedef struct {
  cp_buf buf;
  int busy;
} enc_cache;

/* Buffers that grew beyond this are released after use rather than kept. */
#define ENC_CACHE_KEEP (64 * 1024)

static int enc_cache_gc(lua_State *L) {
  enc_cache *c = (enc_cache *)lua_touserdata(L, 1);
  cp_buf_free(&c->buf);
  return 0;
}

static int l_encode(lua_State *L) {
  enc_cache *c = (enc_cache *)lua_touserdata(L, lua_upvalueindex(1));
  cp_buf local = {NULL, 0, 0}, *b;
  int r;
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  if (c->busy) {
    b = &local;
  } else {
    b = &c->buf;
    c->busy = 1;
    b->len = 0;
  }
  r = cp_json_encode(L, 1, b);
  /* Clear busy before the copy: lua_pushlstring copies the bytes before any
   * GC step that could run a finalizer, and if it raises a memory error the
   * cache is left usable (the buffer stays owned by the userdata). */
  if (b != &local) c->busy = 0;
  if (r == 0) lua_pushlstring(L, b->data, b->len);
  if (b == &local) {
    cp_buf_free(&local);
  } else if (b->cap > ENC_CACHE_KEEP) {
    cp_buf_free(b);
  }
  if (r != 0) {
    /* The message is at the top; add the caller's position like luaL_error. */
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
  }
  return 1;
}

static int l_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (!cp_json_decode(L, s, len)) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
  }
  return 1;
}

void cp_json_push_module(lua_State *L) {
  enc_cache *c;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &module_key) != LUA_TNIL) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 5);

  c = (enc_cache *)lua_newuserdatauv(L, sizeof *c, 0);
  c->buf.data = NULL;
  c->buf.len = c->buf.cap = 0;
  c->busy = 0;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, enc_cache_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_pushcclosure(L, l_encode, 1);
  lua_setfield(L, -2, "encode");

  lua_pushcfunction(L, l_decode);
  lua_setfield(L, -2, "decode");
  cp_json_push_null(L);
  lua_setfield(L, -2, "null");
  cp_json_push_array_mt(L);
  lua_setfield(L, -2, "array_mt");
  push_empty_array(L);
  lua_setfield(L, -2, "empty_array");

  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &module_key);
}
