# Python's multiprocessing: a pool of 4 worker processes, its task queue on semaphores and
# locks in shared memory (futexes between processes), results back over pipes.
import multiprocessing as mp


def square(x):
    return x * x


if __name__ == "__main__":
    with mp.Pool(4) as pool:
        print(sum(pool.map(square, range(500))))
        print(sorted(pool.imap_unordered(square, range(10))))
