"""Dask with 1 and with 2 worker processes (one thread each) checking the
same numbers against an Argon2id list with no key cache, for BENCHMARKS.md:
python dask_scaling.py SITE KEY NUMBERS [PAIRS]

Both clusters are started first; the runs then alternate 1, 2, 1, 2... and
the speedup is taken pair by pair, since this machine's speed drifts."""

import statistics
import sys
import time

import dask.dataframe as dd
import pandas as pd
from dask.distributed import Client, LocalCluster

import hushlist.dask


def main():
    site, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pairs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    areas = [212, 313, 415, 503, 617, 702, 713, 305]
    frame = pd.DataFrame({"phone": [f"({areas[i % 8]}) 556-{i:04d}" for i in range(count)]})
    ddf = dd.from_pandas(frame, npartitions=8)
    clusters = {n: LocalCluster(n_workers=n, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0")
                for n in (1, 2)}
    clients = {n: Client(c, set_as_default=False) for n, c in clusters.items()}
    for client in clients.values():
        client.run(lambda: hushlist.List)  # workers up and the package imported before timing
    speedups = []
    for pair in range(1, pairs + 1):
        seconds = {}
        for n, client in clients.items():
            started = time.perf_counter()
            out = client.compute(hushlist.dask.check_dataframe(
                ddf, column="phone", list_dir=site, public_key=key, regions=["US"], rows="all",
                key_cache=False)).result()
            seconds[n] = time.perf_counter() - started
            assert len(out) == count and (out["status"] == "clear").sum() == count
            print(f"pair {pair}: dask {n} worker(s): {count} Argon2id checks in {seconds[n]:.2f} s "
                  f"({seconds[n] / count * n:.3f} worker-s per number)")
        speedups.append(seconds[1] / seconds[2])
        print(f"pair {pair}: speedup 2 vs 1 workers: {speedups[-1]:.2f}x")
    print(f"median speedup over {pairs} pairs: {statistics.median(speedups):.2f}x")
    for client in clients.values():
        client.close()
    for cluster in clusters.values():
        cluster.close()


if __name__ == "__main__":
    main()
