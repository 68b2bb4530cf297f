"""The distributed helpers on real engines: a Dask LocalCluster with two
worker processes and a PySpark local[2] session, on a partitioned Parquet
inventory, against what one `check_column` over the whole gives."""

from __future__ import annotations

import os
import shutil
import sys

import pandas as pd
import pytest

import hushlist
import hushlist.dask
from conftest import DEMO, DEMO_KEY, FIXTURES


@pytest.fixture(scope="module")
def parquet_inventory(tmp_path_factory, fast_site):
    """The generated inventory as a Parquet directory of 8 partitions."""
    site, key, inv = fast_site
    frame = pd.read_csv(inv, dtype=str, keep_default_na=False).head(20_000)
    out = tmp_path_factory.mktemp("inventory") / "parquet"
    out.mkdir()
    for i, part in enumerate(range(0, len(frame), 2_500)):
        frame.iloc[part:part + 2_500].to_parquet(out / f"part-{i:03d}.parquet", index=False)
    return out, frame


def expected(fast_site, frame):
    site, key, _ = fast_site
    lst = hushlist.List.open(site, key)
    v = lst.check_column(frame["phone"], region_column=frame["country"], regions=["US"]).verdicts
    wanted = v["status"].isin(["match", "doubtful", "not_a_number", "unreadable"]) | v["note"].notna()
    return sorted(zip(frame["employee"][wanted], v["status"][wanted].astype(str), v["e164"][wanted].fillna("")))


@pytest.fixture(scope="module")
def dask_client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                           host="127.0.0.1")
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_two_workers_give_what_one_call_gives(dask_client, parquet_inventory, fast_site, tmp_path):
    import dask.dataframe as dd

    site, key, _ = fast_site
    parquet, frame = parquet_inventory
    ddf = dd.read_parquet(str(parquet))
    assert ddf.npartitions == 8
    # The workers get the list with the tasks: a copy the driver can then remove.
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    findings = hushlist.dask.check_dataframe(ddf, column="phone", region_column="country", list_dir=str(copy),
                                             public_key=str(key), regions=["US"], keep=["employee"])
    shutil.rmtree(copy)
    out = findings.compute()
    got = sorted(zip(out["employee"], out["status"].astype(str), out["e164"].fillna("")))
    assert got == expected(fast_site, frame)
    assert len(got) > 200 and out["matched"].sum() > 200

    assert list(out.columns[:3]) == ["employee", "matched", "status"]
    # Both worker processes did part of the work.
    who = dask_client.run(lambda: len(hushlist._ship._OPENED))
    assert len(who) == 2 and all(n >= 1 for n in who.values()), who
    # Written out as a findings table, read back the same.
    findings.to_parquet(str(tmp_path / "findings"))
    assert len(dd.read_parquet(str(tmp_path / "findings")).compute()) == len(out)


def test_dask_findings_keep_a_clear_number_whose_row_region_was_not_understood(dask_client, fast_site):
    import dask.dataframe as dd

    site, key, _ = fast_site
    frame = pd.DataFrame({"phone": ["212 555 0134", "212 555 0135", ""], "country": ["Atlantis", "US", "Atlantis"]})
    out = hushlist.dask.check_dataframe(dd.from_pandas(frame, npartitions=2), column="phone",
                                        region_column="country", list_dir=str(site), public_key=str(key),
                                        regions=["US"]).compute()
    assert list(out["phone"]) == ["212 555 0134"] and list(out["status"]) == ["clear"]
    assert "Atlantis" in out["note"].iloc[0]


def test_dask_refuses_a_list_signed_by_another_key_before_any_task(parquet_inventory, fast_site):
    import dask.dataframe as dd

    site, _, _ = fast_site
    with pytest.raises(hushlist.VerificationError) as refused:
        hushlist.dask.check_dataframe(dd.read_parquet(str(parquet_inventory[0])), column="phone",
                                      list_dir=str(site), public_key=str(DEMO_KEY))
    assert str(site) in str(refused.value), "named as the caller wrote it"
    with pytest.raises(ValueError, match="UX"):
        hushlist.dask.check_dataframe(dd.read_parquet(str(parquet_inventory[0])), column="phone",
                                      list_dir=str(DEMO), public_key=str(DEMO_KEY), regions=["UX"])
    with pytest.raises(KeyError, match="no column 'msisdn'"):
        hushlist.dask.check_dataframe(dd.read_parquet(str(parquet_inventory[0])), column="msisdn",
                                      list_dir=str(DEMO), public_key=str(DEMO_KEY))


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("hushlist-test")
               .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    yield session
    session.stop()


def test_spark_local_two_gives_what_one_call_gives(spark, parquet_inventory, fast_site, tmp_path):
    import hushlist.spark

    site, key, _ = fast_site
    parquet, frame = parquet_inventory
    sdf = spark.read.parquet(str(parquet))
    findings = hushlist.spark.check_dataframe(sdf, column="phone", region_column="country", list_dir=str(site),
                                              public_key=str(key), regions=["US"], keep=["employee"])
    findings.write.parquet(str(tmp_path / "findings"))
    out = pd.read_parquet(tmp_path / "findings")
    got = sorted(zip(out["employee"], out["status"], out["e164"].fillna("")))
    assert got == expected(fast_site, frame)
    assert findings.columns[:3] == ["employee", "matched", "status"]


def test_spark_demo_matches_the_cli(spark):
    import hushlist.spark

    demo = pd.read_csv(FIXTURES / "demo-inventory.csv", dtype=str, keep_default_na=False)
    sdf = spark.createDataFrame(demo)
    rows = hushlist.spark.check_dataframe(sdf, column="phone", list_dir=str(DEMO), public_key=str(DEMO_KEY),
                                          regions=["US"], rows="matches", keep=["employee"]).collect()
    assert sorted(r.employee for r in rows) == ["Ben Okafor", "Dev Patel", "Farid Haddad"]


@pytest.mark.parametrize("job", ["dask_job.py", "spark_job.py"])
def test_the_example_jobs_write_the_findings_table(job, parquet_inventory, fast_site, tmp_path):
    import subprocess
    from pathlib import Path

    site, key, _ = fast_site
    parquet, frame = parquet_inventory
    script = Path(__file__).resolve().parents[1] / "examples" / job
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    done = subprocess.run([sys.executable, str(script), str(parquet), str(site), str(key), str(tmp_path / "out"),
                           "US"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = pd.read_parquet(tmp_path / "out")
    wanted = expected(fast_site, frame)
    assert len(out) == len(wanted)
    matches = sum(1 for _, status, _ in wanted if status == "match")
    assert f"{matches} possible matches" in done.stdout, done.stdout


def test_a_shipped_copy_is_verified_and_removed_when_the_worker_exits():
    import subprocess
    from pathlib import Path

    code = (
        "import sys; from hushlist._ship import ShippedList; "
        "lst = ShippedList.pack(sys.argv[1], sys.argv[2]).open(); print(lst._origin)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(DEMO), str(DEMO_KEY)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    copy = Path(done.stdout.strip())
    assert copy.name == "list" and "hushlist-shipped-" in str(copy)
    assert not copy.parent.exists(), "removed at exit"


def test_a_worker_refuses_a_shipped_copy_changed_on_the_way():
    from hushlist._ship import ShippedList

    packed = ShippedList.pack(DEMO, DEMO_KEY)
    files = dict(packed.files)
    snapshot = next(n for n in files if n.endswith(".hushlist"))
    changed = bytearray(files[snapshot])
    changed[-1] ^= 1
    files[snapshot] = bytes(changed)
    with pytest.raises(hushlist.VerificationError, match=snapshot):
        ShippedList(files, packed.public_key, packed.name).open()
