"""Dask with 1 and then 2 worker processes (one thread each) checking the
same numbers against an Argon2id list with no key cache, for BENCHMARKS.md:
python dask_scaling.py SITE KEY NUMBERS"""

import sys
import time

import dask.dataframe as dd
import pandas as pd
from dask.distributed import Client, LocalCluster

import hushlist.dask

def main():
    site, key, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    areas = [212, 313, 415, 503, 617, 702, 713, 305]
    frame = pd.DataFrame({"phone": [f"({areas[i % 8]}) 556-{i:04d}" for i in range(count)]})
    ddf = dd.from_pandas(frame, npartitions=8)
    seconds = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            client.run(lambda: hushlist.List)  # workers started and the package imported before timing
            started = time.perf_counter()
            out = hushlist.dask.check_dataframe(ddf, column="phone", list_dir=site, public_key=key, regions=["US"],
                                                rows="all", key_cache=False).compute()
            seconds[workers] = time.perf_counter() - started
            assert len(out) == count and (out["status"] == "clear").sum() == count, out["status"].value_counts()
        print(f"dask {workers} worker(s): {count} Argon2id checks in {seconds[workers]:.2f} s "
              f"({seconds[workers] / count * workers:.3f} worker-s per number)")
    print(f"speedup 2 vs 1 workers: {seconds[1] / seconds[2]:.2f}x")


if __name__ == "__main__":
    main()
