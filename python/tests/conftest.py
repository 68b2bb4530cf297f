"""Fixtures: the committed demo publication, the real CLI and publisher
binaries (built by `cargo build`), and lists published here with them."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
DEMO = FIXTURES / "demo-published"
DEMO_KEY = FIXTURES / "keys" / "demo-TEST-ONLY.pub"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def binary(name: str) -> Path:
    path = Path(os.environ.get(f"HUSHLIST_{name.upper().replace('-', '_')}_BIN", TARGET / "debug" / name))
    if not path.exists():
        pytest.fail(f"{path} is missing: run `cargo build --workspace` first (python/tests/run does)")
    return path


@pytest.fixture(scope="session")
def cli() -> Path:
    return binary("hushlist")


@pytest.fixture(scope="session")
def publisher() -> Path:
    return binary("hushlist-publish")


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Each test gets its own key cache and state directory, as a new user has."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("HUSHLIST_STATE_DIR", raising=False)
    monkeypatch.delenv("HUSHLIST_TOKEN", raising=False)
    monkeypatch.delenv("HUSHLIST_TOKEN_FILE", raising=False)


def run_cli(cli: Path, *args: str, env=None) -> dict:
    """`hushlist check ... --format json`, parsed; exit 0 or 1 (matches) only."""
    done = subprocess.run([str(cli), *args, "--format", "json"], capture_output=True, text=True, env=env)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


# Numbers of several countries as company exports write them, each with the
# row's country as an HR system spells it.
def _us(r):
    area = r.choice([212, 313, 415, 617, 702, 503, 404, 305, 213, 646])
    n = f"{area}{r.randint(200, 999)}{r.randint(0, 9999):04d}"
    forms = [f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}", f"{n[:3]}.{n[3:6]}.{n[6:]}", f"1{n}", f"({n[:3]}) {n[3:6]} {n[6:]}"]
    return r.choice(forms), r.choice(["US", "USA", "United States", ""])


def _gb(r):
    n = f"7{r.randint(400, 999)}{r.randint(0, 999999):06d}"
    forms = [f"0{n[:4]} {n[4:]}", f"+44 {n[:4]} {n[4:]}", f"44{n}", f"(0{n[:4]}) {n[4:]}"]
    return r.choice(forms), r.choice(["GB", "UK", "United Kingdom", "Großbritannien"])


def _de(r):
    n = f"15{r.randint(1, 9)}{r.randint(0, 99999999):08d}"
    forms = [f"0{n[:4]} {n[4:]}", f"+49 {n[:4]} {n[4:]}", f"0049{n}", f"0{n[:4]}/{n[4:]}"]
    return r.choice(forms), r.choice(["DE", "Deutschland", "Germany"])


def _in(r):
    n = f"9{r.randint(100000000, 899999999)}"
    return r.choice([f"{n[:5]} {n[5:]}", f"+91 {n}", f"0{n}"]), r.choice(["IN", "India", "भारत"])


def _jp(r):
    n = f"90{r.randint(10000000, 99999999)}"
    return r.choice([f"0{n[:2]}-{n[2:6]}-{n[6:]}", f"+81 {n}"]), r.choice(["JP", "Japan", "日本"])


def _junk(r):
    return r.choice(["n/a", "ext. 4411", "", "  ", "reception", "+1 313 555 01", "0000", "tbd", "'+44 20 7946 0958"]), r.choice(["", "US", "Atlantis"])


KINDS = [(_us, 40), (_gb, 20), (_de, 15), (_in, 10), (_jp, 8), (_junk, 7)]


def inventory(rows: int, seed: int = 7):
    r = random.Random(seed)
    makers = [m for m, w in KINDS for _ in range(w)]
    return [r.choice(makers)(r) for _ in range(rows)]


@pytest.fixture(scope="session")
def fast_site(tmp_path_factory, publisher):
    """A list published here with the fast hash (BLAKE3) from a sample of
    a generated 10^5-row inventory: (site, public key, inventory CSV)."""
    base = tmp_path_factory.mktemp("fast-site")
    rows = inventory(100_000)
    inv = base / "inventory.csv"
    with inv.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["employee", "phone", "country"])
        for i, (phone, country) in enumerate(rows):
            w.writerow([f"Person {i}", phone, country])
    listed = base / "list.csv"
    r = random.Random(11)
    with listed.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["phone", "country"])
        for phone, country in r.sample(rows, 1500):
            w.writerow([phone, country])
    keys = base / "keys"
    subprocess.run([str(publisher), "keygen", "--unencrypted", "--out-dir", str(keys), "--name", "test"],
                   check=True, capture_output=True)
    site = base / "site"
    subprocess.run(
        [str(publisher), "build", "--key", str(keys / "test.key"), "--input", str(listed), "--column", "phone",
         "--region-column", "country", "--region", "US", "--kdf", "blake3", "--out", str(site)],
        check=True, capture_output=True,
    )
    return site, keys / "test.pub", inv
