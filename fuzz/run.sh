#!/bin/sh
# fuzz/run.sh TARGET SECONDS — build a libFuzzer target into build/fuzz/ and
# run it for SECONDS (default 60).
#
#   fuzz/run.sh fuzz_json_decode 60
#   fuzz/run.sh json_roundtrip 300        # the fuzz_ prefix is optional
#   fuzz/run.sh all 60                    # every target, 60 s each
#
# TARGET is fuzz/TARGET.c; it is linked with src/json.c, src/buf.c, src/frame.c plus
# $EXTRA_SRCS (e.g. an IPC framing target: EXTRA_SRCS="src/ipc.c ..." — or
# add a case below), with clang -fsanitize=fuzzer,address,undefined and
# -llua5.4.  Needs clang and libclang-rt-14-dev (the fuzzer runtime).
# fuzz_fdpass (fd passing: the receiving side of channels and ports) is
# linked with every src/*.c and libuv, and loads lua/ and fuzz/ from the
# repository root.
#
# The seed corpus fuzz/corpus/<name>/ (name = target without fuzz_ and
# without the _decode/_roundtrip suffix, e.g. json) is only read; new
# inputs go to build/fuzz/corpus-TARGET/ and crashes to build/fuzz/artifacts/.
# Extra libFuzzer flags can be passed after SECONDS.
set -eu
cd "$(dirname "$0")/.."

target=${1:?usage: fuzz/run.sh TARGET|all [SECONDS] [libFuzzer flags...]}
secs=${2:-60}
shift; [ $# -gt 0 ] && shift

# `all` (make fuzz): every fuzz/fuzz_*.c in turn, SECONDS each.
if [ "$target" = all ]; then
  for f in fuzz/fuzz_*.c; do
    t=$(basename "$f" .c)
    # libFuzzer prints a status line per new input: keep that in a log and
    # show only the verdict, or the whole log's tail when the target fails.
    log=build/fuzz/$t.log
    mkdir -p build/fuzz
    echo "== $t ($secs s, log in $log)"
    if "$0" "$t" "$secs" "$@" >"$log" 2>&1; then
      grep -E '^(Done|#[0-9]+[[:space:]]+DONE)' "$log" || tail -n 3 "$log"
    else
      tail -n 80 "$log"; echo "== $t FAILED"; exit 1
    fi
  done
  exit 0
fi
case $target in fuzz_*) ;; *) target=fuzz_$target ;; esac
[ -f "fuzz/$target.c" ] || { echo "no such target: fuzz/$target.c" >&2; exit 2; }

name=${target#fuzz_}
name=${name%%_*}
seed=fuzz/corpus/$name

CC=${FUZZ_CC:-clang}
LUA_INC=$(pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
UV_INC=$(pkg-config --cflags libuv 2>/dev/null || true)
LUA_LIB=$(pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)

# fuzz_fdpass drives the whole module (channels, transfer.lua) in-process.
EXTRA_LIBS=
if [ "$target" = fuzz_fdpass ]; then
  EXTRA_SRCS="${EXTRA_SRCS:-} $(ls src/*.c | grep -v -e src/json.c -e src/buf.c -e src/frame.c | tr '\n' ' ')"
  EXTRA_LIBS="$(pkg-config --libs libuv 2>/dev/null || echo -luv) -pthread -ldl"
fi

mkdir -p build/fuzz/artifacts "build/fuzz/corpus-$target"
# shellcheck disable=SC2086
$CC -std=c99 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -Werror $LUA_INC $UV_INC \
  "fuzz/$target.c" src/json.c src/buf.c src/frame.c ${EXTRA_SRCS:-} \
  -o "build/fuzz/$target" $LUA_LIB -lm $EXTRA_LIBS

dict=
[ -f "fuzz/$name.dict" ] && dict=-dict=fuzz/$name.dict
seeds=
[ -d "$seed" ] && seeds=$seed

# shellcheck disable=SC2086
exec "build/fuzz/$target" -max_total_time="$secs" -max_len=65536 \
  -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build/fuzz/artifacts/ \
  $dict "$@" "build/fuzz/corpus-$target" $seeds
