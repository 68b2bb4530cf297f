"""A Spark job: a partitioned Parquet inventory in, a findings table out.

    python python/examples/spark_job.py INVENTORY_DIR SITE_DIR PUBLIC_KEY OUT_DIR [REGION...]
        [--column phone] [--region-column country] [--master local[2]]

(with pyspark installed; or through spark-submit). The inventory's phone
column is `--column`; `--region-column`, when the inventory has it, is read
as each row's region. The published directory and the public key are read here,
on the driver, and travel with the tasks; every executor verifies them itself.
"""

import argparse
import os
import sys

from pyspark.sql import SparkSession

import hushlist.spark


def main():
    args = arguments().parse_args()
    # Spark starts its Python workers with `python3` unless told: the one
    # running this job has the package.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.master(args.master).appName("hushlist-check").getOrCreate()
    frame = spark.read.parquet(args.inventory)
    findings = hushlist.spark.check_dataframe(
        frame,
        column=args.column,
        region_column=args.region_column if args.region_column in frame.columns else None,
        list_dir=args.site,
        public_key=args.public_key,
        regions=args.region or ["US"],
    )
    findings.write.mode("overwrite").parquet(args.out)
    written = spark.read.parquet(args.out)
    matches = written.filter("matched").count()
    unchecked = written.filter("status = 'not_a_number'").count()
    print(f"{matches} possible matches, {unchecked} cells not checked (not numbers); findings in {args.out}")
    spark.stop()


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
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    return parser


if __name__ == "__main__":
    main()
