# W11 peers: Python's multiprocessing.Pool(2) (the default start method).
# args: MODE N
#   imap   N tasks through pool.imap(f, xs, chunksize=1)      (W11)
#   map    pool.map(f, xs) over N numbers, default chunking   (W11b)
#   start  N times: Pool(2) created → both workers ready; then a task that
#          makes its worker exit → the replacement ready     (W11c)
# "Ready": the worker ran the pool's initializer, which writes a byte to a
# pipe the bench reads (the step before the worker takes tasks).
# Prints RESULT lines: rate (tasks/s) and cpu (µs of CPU per task) for
# imap and map; start_ms and crash_ms for start, and the CPU time each took
# (start_cpu, crash_cpu: the parent's, all threads, plus the workers' own
# until ready, or the replacement's; /proc/<pid>/task/*/schedstat).
import multiprocessing as mp
import os
import sys
import time


def f(n):
    return n * 2


def crash(_):
    os._exit(3)


READY_FD = None


def signal_ready(fd):
    os.write(fd, b"r")


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


def throughput(mode, n):
    with mp.Pool(2) as pool:
        pool.map(f, range(100))  # both workers up
        xs = list(range(n))
        pids = [os.getpid()] + [p.pid for p in pool._pool]
        c0 = cpu_ns(pids)
        t0 = time.perf_counter()
        if mode == "imap":
            total = 0
            for i, r in enumerate(pool.imap(f, xs, chunksize=1)):
                assert r == i * 2
                total += 1
            assert total == n
        else:
            res = pool.map(f, xs)
        t1 = time.perf_counter()
        c1 = cpu_ns(pids)
        if mode == "map":
            assert len(res) == n and all(res[i] == 2 * i for i in range(n))
    print("RESULT rate %.9g tasks/s" % (n / (t1 - t0)))
    print("RESULT cpu %.9g us" % ((c1 - c0) / n / 1e3))


def sched_ns(pid):
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as fh:
                total += int(fh.read().split()[0])
        except OSError:
            pass
    return total


def read_ready(fd, k):
    got = 0
    while got < k:
        got += len(os.read(fd, k - got))


def start(n):
    r, w = os.pipe()
    start_ms, crash_ms, start_cpu, crash_cpu = 0.0, 0.0, 0.0, 0.0
    me = os.getpid()
    for _ in range(n + 1):  # the first warms the page cache
        p0 = sched_ns(me)
        t0 = time.perf_counter()
        pool = mp.Pool(2, initializer=signal_ready, initargs=(w,))
        read_ready(r, 2)
        t1 = time.perf_counter()
        p1 = sched_ns(me)
        before = set(p.pid for p in pool._pool)
        cpu_start = p1 - p0 + sum(sched_ns(pid) for pid in before)
        # A task that ends its worker (Python never fails that task: it
        # would wait forever, so nobody waits on it).
        pool.apply_async(crash, (0,))
        read_ready(r, 1)  # the replacement ran its initializer
        t2 = time.perf_counter()
        cpu_crash = sched_ns(me) - p1
        cpu_crash += sum(sched_ns(p.pid) for p in list(pool._pool) if p.pid not in before)
        pool.terminate()
        pool.join()
        if _ > 0:
            start_ms += (t1 - t0) * 1000
            crash_ms += (t2 - t1) * 1000
            start_cpu += cpu_start
            crash_cpu += cpu_crash
    print("RESULT start_ms %.9g ms" % (start_ms / n))
    print("RESULT crash_ms %.9g ms" % (crash_ms / n))
    print("RESULT start_cpu %.9g ms" % (start_cpu / n / 1e6))
    print("RESULT crash_cpu %.9g ms" % (crash_cpu / n / 1e6))


if __name__ == "__main__":
    mode = sys.argv[1]
    n = int(sys.argv[2])
    if mode == "start":
        start(n)
    else:
        throughput(mode, n)
