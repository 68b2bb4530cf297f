"""A Dask job: a partitioned Parquet inventory in, a findings table out.

    python python/examples/dask_job.py INVENTORY_DIR SITE_DIR PUBLIC_KEY OUT_DIR [REGION...]
        [--column phone] [--region-column country]

It starts a LocalCluster of two workers; point `Client(...)` at your
scheduler instead. The list travels with the tasks, and each worker process
opens and verifies it once.
"""

import argparse

import dask.dataframe as dd
from dask.distributed import Client, LocalCluster

import hushlist.dask


def main():
    args = arguments().parse_args()
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster, \
            Client(cluster):
        frame = dd.read_parquet(args.inventory)
        region_column = args.region_column if args.region_column in frame.columns else None
        findings = hushlist.dask.check_dataframe(
            frame,
            column=args.column,
            region_column=region_column,
            list_dir=args.site,
            public_key=args.public_key,
            regions=args.region or ["US"],
        )
        findings.to_parquet(args.out)
        written = dd.read_parquet(args.out).compute()
        print(f"{int(written['matched'].sum())} possible matches, "
              f"{int((written['status'] == 'not_a_number').sum())} cells not checked (not numbers); "
              f"findings in {args.out}")


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inventory", help="a Parquet file or directory of partitions")
    parser.add_argument("site", help="the published directory")
    parser.add_argument("public_key", help="the publisher's public key file")
    parser.add_argument("out", help="where the findings table is written (Parquet)")
    parser.add_argument("region", nargs="*", help="regions for national numbers (default US)")
    parser.add_argument("--column", default="phone", help="the phone column (default phone)")
    parser.add_argument("--region-column", default="country",
                        help="each row's region, when the inventory has it (default country)")
    return parser


if __name__ == "__main__":
    main()
