"""A Spark job: a partitioned Parquet inventory in, a findings table out.

    spark-submit python/examples/spark_job.py INVENTORY_DIR SITE_DIR PUBLIC_KEY OUT_DIR [REGION...]

(or plain `python` with pyspark installed: it then runs on local[2]). The
inventory has a `phone` column and, when present, a `country` column read as
each row's region. The published directory and the public key are read here,
on the driver, and travel with the tasks; every executor verifies them itself.
"""

import sys

from pyspark.sql import SparkSession

import hushlist.spark


def main(inventory, site, public_key, out, *regions):
    spark = SparkSession.builder.master("local[2]").appName("hushlist-check").getOrCreate()
    frame = spark.read.parquet(inventory)
    findings = hushlist.spark.check_dataframe(
        frame,
        column="phone",
        region_column="country" if "country" in frame.columns else None,
        list_dir=site,
        public_key=public_key,
        regions=list(regions) or ["US"],
    )
    findings.write.mode("overwrite").parquet(out)
    written = spark.read.parquet(out)
    matches = written.filter("matched").count()
    unchecked = written.filter("status = 'not_a_number'").count()
    print(f"{matches} possible matches, {unchecked} cells not checked (not numbers); findings in {out}")
    spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
