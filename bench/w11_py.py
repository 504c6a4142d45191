# W11 peer: Python's multiprocessing.Pool(2).imap(f, xs, chunksize=1).
# args: N.  Prints RESULT rate <tasks/s> (pool start excluded) and
# RESULT cpu <µs of CPU per task, parent and workers>.
import multiprocessing as mp
import os
import sys
import time


def f(n):
    return n * 2


def cpu_ns(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            total += (int(parts[11]) + int(parts[12])) * 1e9 / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    with mp.Pool(2) as pool:
        pool.map(f, range(100))  # both workers up
        pids = [os.getpid()] + [p.pid for p in pool._pool]
        c0 = cpu_ns(pids)
        t0 = time.perf_counter()
        total = 0
        for i, r in enumerate(pool.imap(f, range(n), chunksize=1)):
            assert r == i * 2
            total += 1
        t1 = time.perf_counter()
        c1 = cpu_ns(pids)
    assert total == n
    print("RESULT rate %.9g tasks/s" % (n / (t1 - t0)))
    print("RESULT cpu %.9g us" % ((c1 - c0) / n / 1e3))
