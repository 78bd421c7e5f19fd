"""pylock8: 8 Python threads contending one threading.Lock.

    python3 pylock8.py [iters]   (default 20000 per thread)

One iteration is one acquire/release by one thread (8 x iters in all), timed with
time.perf_counter (CLOCK_MONOTONIC, through the vDSO). CPython's GIL hands over with timed
condition waits, which read CLOCK_MONOTONIC at every switch request: under umlab without a guest
vDSO each read was a trap (issue #14 measured 21x native).
"""
import threading, time, sys
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
lock = threading.Lock()
count = 0
def work():
    global count
    for _ in range(N):
        with lock:
            count += 1
ts = [threading.Thread(target=work) for _ in range(8)]
t0 = time.perf_counter()
for t in ts: t.start()
for t in ts: t.join()
t1 = time.perf_counter()
assert count == 8 * N
print("RESULT name=pylock8 iters=%d ns_per_iter=%.2f" % (8 * N, (t1 - t0) * 1e9 / (8 * N)))
