"""A published list packed to travel with a job to its workers.

A cluster's workers rarely share the driver's file system, so the job carries
the few files a check needs (manifest, current snapshot, their signatures,
rotation statements) and the publisher's public key, a few megabytes at most.
Each worker process writes them once to a private directory of its own and
opens them with :meth:`hushlist.List.open`: every worker verifies the
signatures itself, so a worker never trusts what the driver says about them.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Dict, Tuple

_OPENED: Dict[Tuple, "object"] = {}
_LOCK = threading.Lock()


class ShippedList:
    """The files of a published list and its public key, as bytes."""

    def __init__(self, files: Dict[str, bytes], public_key: bytes, name: str) -> None:
        self.files = files
        self.public_key = public_key
        self.name = name
        digest = hashlib.sha256()
        for file in sorted(files):
            digest.update(file.encode() + b"\0" + hashlib.sha256(files[file]).digest())
        digest.update(hashlib.sha256(public_key).digest())
        self.digest = digest.hexdigest()

    @classmethod
    def pack(cls, list_dir: "os.PathLike[str] | str", public_key: "os.PathLike[str] | str") -> "ShippedList":
        """The files of the published directory `list_dir` (or a snapshot
        file and its .minisig) that a check needs."""
        path = Path(list_dir)
        names = []
        if path.is_dir():
            manifest = json.loads((path / "manifest.json").read_bytes())
            snapshot = manifest["snapshot"]["file"]
            names = ["manifest.json", "manifest.json.minisig", snapshot, snapshot + ".minisig"]
            names += sorted(p.name for p in path.glob("rotation-*") if p.is_file())
            base = path
        else:
            names = [path.name, path.name + ".minisig"]
            base = path.parent
        files = {n: (base / n).read_bytes() for n in names if (base / n).is_file()}
        return cls(files, Path(public_key).read_bytes(), path.name)

    def open(self):
        """The list, opened and verified once per process."""
        from . import List

        key = (self.digest,)
        with _LOCK:
            opened = _OPENED.get(key)
            if opened is None:
                where = Path(tempfile.mkdtemp(prefix="hushlist-shipped-"))
                os.chmod(where, 0o700)
                # The copy lives as long as the worker process.
                atexit.register(shutil.rmtree, where, True)
                listed = where / "list"
                listed.mkdir()
                for name, data in self.files.items():
                    (listed / name).write_bytes(data)
                (where / "publisher.pub").write_bytes(self.public_key)
                target = listed if "manifest.json" in self.files else listed / next(
                    n for n in self.files if not n.endswith(".minisig")
                )
                opened = List.open(target, where / "publisher.pub")
                _OPENED[key] = opened
            return opened


def opened(list_dir, public_key, state_dir, shipped):
    """The list a worker checks against: shipped, given by path, or installed."""
    from . import List

    if shipped is not None:
        return shipped.open()
    key = ("path", str(list_dir), str(public_key), str(state_dir))
    with _LOCK:
        lst = _OPENED.get(key)
        if lst is None:
            if list_dir is not None and public_key is not None:
                lst = List.open(list_dir, public_key)
            elif list_dir is None and public_key is None:
                lst = List.installed(state_dir)
            else:
                raise ValueError("give both list_dir and public_key, or neither (the installed list)")
            _OPENED[key] = lst
        return lst
