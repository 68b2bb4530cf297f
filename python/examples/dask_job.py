"""A Dask job: a partitioned Parquet inventory in, a findings table out.

    python python/examples/dask_job.py INVENTORY_DIR SITE_DIR PUBLIC_KEY OUT_DIR [REGION...]

It starts a LocalCluster of two workers; point `Client(...)` at your
scheduler instead. The list travels with the tasks, and each worker process
opens and verifies it once.
"""

import sys

import dask.dataframe as dd
from dask.distributed import Client, LocalCluster

import hushlist.dask


def main(inventory, site, public_key, out, *regions):
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster, \
            Client(cluster):
        frame = dd.read_parquet(inventory)
        findings = hushlist.dask.check_dataframe(
            frame,
            column="phone",
            region_column="country" if "country" in frame.columns else None,
            list_dir=site,
            public_key=public_key,
            regions=list(regions) or ["US"],
        )
        findings.to_parquet(out)
        written = dd.read_parquet(out).compute()
        print(f"{int(written['matched'].sum())} possible matches, "
              f"{int((written['status'] == 'not_a_number').sum())} cells not checked (not numbers); "
              f"findings in {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
