"""The package on real publications: the committed demo and lists published
here by the real `hushlist-publish`, compared with the real `hushlist` CLI."""

from __future__ import annotations

import csv
import shutil
import threading

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import hushlist
from conftest import DEMO, DEMO_KEY, FIXTURES, run_cli

DEMO_MATCHES = ["+13135550142", "+442079460958", "+17025550163"]


def demo_phones():
    return pd.read_csv(FIXTURES / "demo-inventory.csv", dtype=str, keep_default_na=False)["phone"]


def test_the_demo_gives_the_clis_three_possible_matches(cli):
    lst = hushlist.List.open(DEMO, DEMO_KEY)
    outcome = lst.check(demo_phones(), regions=["US"])
    assert [f.e164 for f in outcome.matches] == DEMO_MATCHES
    report = run_cli(cli, "check", "--key", str(DEMO_KEY), "--snapshot", str(DEMO), "--region", "US",
                     str(FIXTURES / "demo-inventory.csv"))
    assert [f["e164"] for f in report["possible_matches"]] == DEMO_MATCHES
    assert sorted((p.kind, p.input) for p in outcome.invalid) == sorted(
        (p["kind"], p["input"]) for p in report["not_numbers"]
    )
    assert outcome.checked == report["summary"]["checked"]
    # The same key cache as the CLI: the CLI ran after, and found every key cached.
    assert report["summary"]["from_cache"] == report["summary"]["lookups"]
    again = lst.check(demo_phones(), regions=["US"])
    assert again.hashed == 0 and again.cached == again.lookups


def test_every_input_type_gives_the_same_verdicts():
    lst = hushlist.List.open(DEMO, DEMO_KEY)
    phones = demo_phones()
    frames = {
        "pandas": lst.check_column(phones, regions="US").verdicts,
        "polars": lst.check_column(pl.Series("phone", phones.tolist()), regions="US").verdicts,
        "arrow": lst.check_column(pa.array(phones.tolist()), regions="US").verdicts,
        "chunked": lst.check_column(pa.chunked_array([phones[:5].tolist(), phones[5:].tolist()]), regions="US").verdicts,
        "list": lst.check_column(phones.tolist(), regions="US").verdicts,
        "sliced": lst.check_column(pa.array(["x"] + phones.tolist())[1:], regions="US").verdicts,
    }
    assert isinstance(frames["pandas"], pd.DataFrame)
    assert isinstance(frames["polars"], pl.DataFrame)
    assert isinstance(frames["arrow"], pa.Table)
    assert frames["pandas"]["matched"].dtype == np.bool_
    as_lists = {k: (pa.Table.from_pandas(v, preserve_index=False) if isinstance(v, pd.DataFrame)
                    else v.to_arrow() if isinstance(v, pl.DataFrame) else v) for k, v in frames.items()}
    base = as_lists["arrow"]
    for name, table in as_lists.items():
        for column in ["matched", "e164", "valid", "reason", "kind"]:
            assert table.column(column).to_pylist() == base.column(column).to_pylist(), (name, column)
        assert [str(s) for s in table.column("status").to_pylist()] == [
            str(s) for s in base.column("status").to_pylist()], name
    matched = base.filter(base.column("matched")).column("e164").to_pylist()
    assert matched == DEMO_MATCHES
    statuses = base.column("status").to_pylist()
    assert statuses.count("not_a_number") == 2 and statuses.count("clear") == 7


def test_a_pandas_result_keeps_the_inputs_index_and_nulls_are_empty_cells():
    lst = hushlist.List.open(DEMO, DEMO_KEY)
    cells = pd.Series(["313.555.0142", None, np.nan, "  ", "+44 20 7946 0958"], index=[10, 20, 30, 40, 50])
    v = lst.check_column(cells, regions="US").verdicts
    assert list(v.index) == [10, 20, 30, 40, 50]
    assert list(v["status"]) == ["match", "empty", "empty", "empty", "match"]
    assert v["valid"].isna().tolist() == [False, True, True, True, False]


def test_numbers_read_as_numbers_are_read_as_digits_and_said(caplog):
    lst = hushlist.List.open(DEMO, DEMO_KEY)
    # read_csv without dtype=str: the + is gone, the column is int64.
    with caplog.at_level("WARNING", logger="hushlist"):
        result = lst.check_column(pd.Series([13135550142, 442079460958]), regions="US")
    assert list(result.verdicts["e164"]) == ["+13135550142", "+442079460958"]
    assert any("held numbers" in n for n in result.outcome.notices)
    assert any("held numbers" in r.getMessage() for r in caplog.records)
    assert "+ added" in result.verdicts["note"][1]
    with pytest.raises(TypeError, match="fractions"):
        lst.check_column(pd.Series([3135550142.5]))
    # read_csv with an empty cell: float64, and said as such.
    result = lst.check_column(pd.Series([3135550142.0, np.nan]), regions="US")
    assert any("(double)" in n for n in result.outcome.notices), result.outcome.notices
    assert list(result.verdicts["status"]) == ["match", "empty"]


def test_arguments_given_as_people_write_them():
    lst = hushlist.List.open(DEMO, DEMO_KEY)
    # "DE,GB,US" as the CLI's --region takes it; every reading is shown.
    v = lst.check_column(["(212) 555-0134"], regions="DE,GB,US").verdicts
    assert v.column("status").to_pylist() == ["clear"]
    assert "+12125550134" in v.column("e164").to_pylist()[0].split(", ")
    with pytest.raises(TypeError, match="not its name"):
        lst.check_column(["1"], region_column="country")
    with pytest.raises(TypeError, match="one column"):
        lst.check_column(pd.DataFrame({"phone": ["1"]}))
    letters = lst.check(["1-800-FLOWERS"], regions="US")
    assert letters.invalid[0].kind == "letters" and "`allow_letters`" in letters.invalid[0].reason
    assert lst.check(["1-800-FLOWERS"], regions="US", allow_letters=True).checked == 1
    assert hushlist.VerificationError.__module__ == "hushlist"


def test_a_match_is_valid_only_if_the_reading_that_matched_is():
    lst = hushlist.List.open(DEMO, DEMO_KEY)
    # A UK drama number, listed: only possible as GB, yet valid as a German number.
    v = lst.check_column(["07700 900462"], regions="GB,DE").verdicts.to_pylist()[0]
    assert (v["status"], v["e164"], v["valid"]) == ("match", "+447700900462", False), v
    assert "not a valid GB number" in v["note"]


def test_a_row_region_comes_first_and_a_match_under_another_is_marked(fast_site):
    site, key, _ = fast_site
    lst = hushlist.List.open(site, key)
    # "Deutschland" and "日本" name regions; "Atlantis" names none and says so.
    v = lst.check_column(pa.array(["0151 12345678", "090-1234-5678", "212 555 0134"]),
                         region_column=pa.array(["Deutschland", "日本", "Atlantis"]), regions=["US"]).verdicts
    assert v.column("e164").to_pylist()[:2] == ["+4915112345678", "+819012345678"]
    assert "Atlantis" in v.column("note").to_pylist()[2]
    with pytest.raises(ValueError, match="region column has 1 values"):
        lst.check_column(["1"] * 2, region_column=["DE"])


def test_errors_are_named_after_the_librarys(tmp_path, fast_site):
    site, key, _ = fast_site
    with pytest.raises(hushlist.VerificationError, match="signature"):
        hushlist.List.open(DEMO, key)
    broken = tmp_path / "site"
    shutil.copytree(DEMO, broken)
    snap = next(broken.glob("snapshot-*.hushlist"))
    data = bytearray(snap.read_bytes())
    data[-1] ^= 1
    snap.write_bytes(bytes(data))
    with pytest.raises(hushlist.VerificationError) as refused:
        hushlist.List.open(broken, DEMO_KEY)
    assert isinstance(refused.value, hushlist.OpenError) and isinstance(refused.value, hushlist.HushlistError)
    assert snap.name in str(refused.value)
    with pytest.raises(hushlist.OpenError, match="no-such: no such published directory or snapshot file"):
        hushlist.List.open(tmp_path / "no-such", DEMO_KEY)
    with pytest.raises(hushlist.StateError):
        hushlist.List.installed(tmp_path / "no-state")
    lst = hushlist.List.open(DEMO, DEMO_KEY)
    with pytest.raises(ValueError, match="region"):
        lst.check(["1"], regions=["XX-not-a-region"])
    with pytest.raises(ValueError, match="jobs"):
        lst.check(["1"], jobs=0)
    with pytest.raises(hushlist.MemoryBudgetError, match="memory budget"):
        lst.check(["212 555 0134"], regions="US", memory_budget=1 << 20, key_cache=False)


def test_the_installed_list_is_the_one_the_cli_installed(tmp_path, cli, monkeypatch, fast_site):
    import subprocess

    site, key, _ = fast_site

    state = tmp_path / "state"
    hl = lambda *a: subprocess.run([str(cli), *a, "--state-dir", str(state)], check=True, capture_output=True)
    hl("init", "--key", str(key))
    with pytest.raises(hushlist.NothingInstalled, match="no snapshot installed"):
        hushlist.List.installed(state)
    hl("import", str(site))
    lst = hushlist.List.installed(state)
    assert lst.sequence == 1 and lst.key_id == hushlist.List.open(site, key).key_id
    # The CLI's default state directory, as the CLI finds it.
    monkeypatch.setenv("HUSHLIST_STATE_DIR", str(state))
    assert hushlist.List.installed().facts["blake3"] == lst.facts["blake3"]


def test_the_lock_is_released_while_hashing_and_progress_is_reported(fast_site):
    site, key, _ = fast_site
    lst = hushlist.List.open(site, key)
    ticks = []
    seen = []

    def other_thread():
        # Runs while the check hashes, only because the check released the lock.
        while not seen:
            ticks.append(1)

    t = threading.Thread(target=other_thread)
    t.start()
    outcome = lst.check([f"212555{i:04d}" for i in range(10_000)] * 3, regions="US", jobs=2,
                        progress=lambda *p: seen.append(p))
    seen.append(None)
    t.join()
    assert outcome.rows == 30_000
    assert seen[0][0] == "--number" and seen[-2][2] == 30_000, seen[-2]
    assert len(ticks) > 100


def test_a_progress_callback_that_raises_stops_the_run(fast_site):
    site, key, _ = fast_site
    lst = hushlist.List.open(site, key)

    def stop(*_):
        raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        lst.check([f"212555{i:04d}" for i in range(10_000)] * 5, regions="US", progress=stop)


def test_a_generated_100k_row_inventory_gives_the_clis_findings(cli, fast_site):
    site, key, inv = fast_site
    lst = hushlist.List.open(site, key)
    frame = pd.read_csv(inv, dtype=str, keep_default_na=False)
    result = lst.check_column(frame["phone"], region_column=frame["country"], regions=["US", "GB"])
    report = run_cli(cli, "check", "--key", str(key), "--snapshot", str(site), "--region", "US",
                     "--region", "GB", "--column", "phone", "--region-column", "country", str(inv))
    v = result.verdicts
    # CLI lines count the header: the first data row is line 2.
    ours = sorted((int(i) + 2, e) for i, e in zip(v.index[v["matched"]], v["e164"][v["matched"]]))
    theirs = sorted((o["line"], f["e164"]) for f in report["possible_matches"] for o in f["occurrences"])
    assert len(theirs) > 1000
    merged = {}
    for line, e in theirs:
        merged.setdefault(line, []).append(e)
    assert ours == sorted((line, ", ".join(es)) for line, es in merged.items())
    not_numbers = sorted(int(i) + 2 for i in v.index[v["status"] == "not_a_number"])
    assert not_numbers == sorted(p["line"] for p in report["not_numbers"])
    doubtful = sorted(int(i) + 2 for i in v.index[v["status"] == "doubtful"])
    assert doubtful == sorted(o["line"] for f in report["doubtful_numbers"] for o in f["occurrences"])
    other = sorted(int(i) + 2 for i in v.index[v["row_region"].notna()])
    assert other == sorted(o["line"] for f in report["possible_matches"] for o in f["occurrences"]
                           if o["row_region"])
    assert result.outcome.rows == report["summary"]["rows"] == 100_000
    assert len(result.outcome.matches) == report["summary"]["possible_matches"]["numbers"]


def test_ctrl_c_stops_a_long_check_at_the_next_batch(fast_site):
    import os
    import signal

    site, key, _ = fast_site
    lst = hushlist.List.open(site, key)
    numbers = [f"212555{i % 10_000:04d}" for i in range(1_000_000)]
    rows = []

    def progress(source, source_rows, total, matches):
        if not rows:
            # Ctrl-C from elsewhere, as a terminal sends it, once the run is under way.
            threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        rows.append(total)

    with pytest.raises(KeyboardInterrupt):
        lst.check(numbers, regions="US", jobs=1, progress=progress)
    assert rows and max(rows) < len(numbers), "stopped before the end"


def test_the_readmes_python_example_prints_the_demos_three_matches(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using hushlist from Python", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    done = subprocess.run([sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [l for l in lines if l.startswith("possible match:")] == [f"possible match: {e}" for e in DEMO_MATCHES]
    for name in ("Ben Okafor", "Dev Patel", "Farid Haddad"):
        assert name in done.stdout
