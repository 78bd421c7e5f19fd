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
print("RESULT name=lock8 iters=%d ns_per_iter=%.2f" % (8 * N, (t1 - t0) * 1e9 / (8 * N)))
