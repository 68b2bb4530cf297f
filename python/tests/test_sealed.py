"""A sealed list through the same calls: built by the real publisher, its
keys asked from the real `hushlist-publish serve` on 127.0.0.1."""

from __future__ import annotations

import re
import subprocess
import time

import pyarrow as pa
import pytest

import hushlist

LISTED = ["+1 313 555 0142", "+1 702 555 0163", "+44 20 7946 0958"]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory, publisher):
    base = tmp_path_factory.mktemp("sealed")
    run = lambda *a: subprocess.run([str(publisher), *map(str, a)], check=True, capture_output=True, text=True)
    run("keygen", "--unencrypted", "--out-dir", base / "keys", "--name", "pub")
    run("keygen", "--unencrypted", "--oprf", "--out-dir", base / "keys", "--name", "pub")
    (base / "list.txt").write_text("\n".join(LISTED) + "\n")
    run("build", "--key", base / "keys/pub.key", "--input", base / "list.txt", "--region", "US",
        "--kdf", "voprf", "--oprf-key", base / "keys/pub.oprf.key",
        "--evaluation-url", "https://lists.example.org/evaluate", "--out", base / "site")
    run("clients", "--db", base / "clients.db", "add", "acme", "--quota", "1000", "--token-file",
        base / "acme.token")
    log = open(base / "serve.log", "w")
    service = subprocess.Popen(
        [str(publisher), "serve", "--out", base / "site", "--oprf-key", base / "keys/pub.oprf.key",
         "--db", base / "clients.db", "--listen", "127.0.0.1:0", "--threads", "1"],
        stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 20
    while not (port := re.search(r"listening on http://127\.0\.0\.1:(\d+)", (base / "serve.log").read_text())):
        assert time.time() < deadline and service.poll() is None, (base / "serve.log").read_text()
        time.sleep(0.05)
    yield base, f"http://127.0.0.1:{port.group(1)}/evaluate"
    service.terminate()
    service.wait(10)


def test_a_sealed_list_is_checked_through_its_service_then_from_the_cache(sealed):
    base, url = sealed
    lst = hushlist.List.open(base / "site", base / "keys/pub.pub")
    assert lst.sealed and lst.evaluation_url == "https://lists.example.org/evaluate"
    cells = ["313.555.0142", "(212) 555-0134", "+44 20 7946 0958", "reception"]
    # No token: nothing is asked, and the error says how to give one.
    with pytest.raises(hushlist.EvaluationError, match="no token: pass token_file="):
        lst.check(cells, regions="US", evaluation_url=url, allow_http=True)
    first = lst.check(cells, regions="US", evaluation_url=url, allow_http=True, token_file=base / "acme.token")
    assert [f.e164 for f in first.matches] == ["+13135550142", "+442079460958"]
    assert first.hashed == 3
    asked = [n for n in first.notices if "asking" in n]
    assert len(asked) == 1 and "127.0.0.1" in asked[0] and "given instead of the snapshot's" in asked[0]
    assert "acme.token" in asked[0]
    # The keys are cached as the CLI caches them: a second check asks nothing.
    column = lst.check_column(pa.array(cells), regions="US", evaluation_url=url, allow_http=True,
                              token_file=base / "acme.token")
    assert column.outcome.hashed == 0 and column.outcome.cached == 3
    assert not any("asking" in n for n in column.outcome.notices)
    assert column.verdicts.column("matched").to_pylist() == [True, False, True, False]
    # The service logged the client and counts, never the numbers.
    log = (base / "serve.log").read_text()
    assert "acme" in log and "3135550142" not in log


def test_a_sealed_service_that_refuses_is_an_evaluation_error(sealed, tmp_path):
    base, url = sealed
    lst = hushlist.List.open(base / "site", base / "keys/pub.pub")
    bad = tmp_path / "bad.token"
    bad.write_text("not-a-client\n")
    with pytest.raises(hushlist.EvaluationError, match="401"):
        lst.check(["(617) 555 0100"], regions="US", evaluation_url=url, allow_http=True, token_file=bad)
    with pytest.raises(ValueError, match="https:// only"):
        lst.check(["(617) 555 0100"], regions="US", evaluation_url=url, token_file=bad)
