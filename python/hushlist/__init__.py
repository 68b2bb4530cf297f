"""hushlist: check phone numbers against a signed, salted list without the
numbers ever leaving this machine.

    >>> import hushlist
    >>> lst = hushlist.List.open("fixtures/demo-published", "fixtures/keys/demo-TEST-ONLY.pub")
    >>> outcome = lst.check(["(313) 555-0142", "+44 20 7946 0958"], regions=["US"])
    >>> [f.e164 for f in outcome.matches]

``List.open`` verifies the signature, digest, structure, freshness and fill
of the snapshot before anything is checked; ``List.installed`` opens what
``hushlist update`` installed. ``check`` takes strings, ``check_column`` a
pandas, polars or pyarrow column and gives one verdict per cell. Both read
cells exactly as ``hushlist check`` does, and use the same key cache.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, List as _List, Optional, Sequence, Union

from . import _columns
from ._native import (
    METADATA_VERSION,
    CheckError,
    EvaluationError,
    HushlistError,
    InputError,
    MemoryBudgetError,
    NothingInstalled,
    OpenError,
    StateError,
    VerificationError,
)
from ._native import List as _NativeList
from ._outcome import Finding, Occurrence, Outcome, Problem

__all__ = [
    "List",
    "ColumnCheck",
    "Outcome",
    "Finding",
    "Occurrence",
    "Problem",
    "HushlistError",
    "OpenError",
    "VerificationError",
    "StateError",
    "NothingInstalled",
    "CheckError",
    "InputError",
    "EvaluationError",
    "MemoryBudgetError",
    "METADATA_VERSION",
    "STATUSES",
]

STATUSES = list(_columns.STATUSES)

try:
    from importlib.metadata import version as _version

    __version__ = _version("hushlist")
except Exception:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: Notices (a choice made for the caller, a fallback) are logged here at
#: WARNING, so a script or notebook shows them unless told otherwise.
log = logging.getLogger("hushlist")

PathLike = Union[str, "os.PathLike[str]"]
Progress = Callable[[str, int, int, int], Any]


@dataclass(frozen=True)
class ColumnCheck:
    """The verdicts on a column, one row per cell in input order, and the
    findings of the same pass."""

    #: Columns matched, status, e164, valid, reason, kind, note, row_region,
    #: as a pyarrow Table, pandas DataFrame (the input's index) or polars DataFrame.
    verdicts: Any
    outcome: Outcome


def _token(token: Optional[str], token_file: Optional[PathLike]) -> "tuple[Optional[str], Optional[str]]":
    """The evaluation token and where it came from, as the CLI looks for it."""
    if token is not None:
        return token.strip(), "the token argument"
    path = token_file if token_file is not None else os.environ.get("HUSHLIST_TOKEN_FILE")
    if path:
        text = Path(path).read_text(encoding="utf-8").strip()
        if not text:
            raise ValueError(f"token file {path} is empty")
        where = f"file {path}" if token_file is not None else f"HUSHLIST_TOKEN_FILE ({path})"
        return text, where
    env = os.environ.get("HUSHLIST_TOKEN")
    if env:
        return env.strip(), "HUSHLIST_TOKEN"
    return None, None


def _missing(value: Any) -> bool:
    """None, or the NaN pandas puts in an empty cell: an empty cell, not the text "nan"."""
    return value is None or (isinstance(value, float) and value != value)


class List:
    """A verified list. Nothing is ever checked against an unverified snapshot.

    A ``List`` holds no open file and can be shared by threads; each process
    of a cluster opens (and verifies) its own.
    """

    __slots__ = ("_native", "_origin")

    def __init__(self, native: _NativeList, origin: str) -> None:
        self._native = native
        self._origin = origin
        for warning in native.warnings:
            log.warning("hushlist: %s", warning)

    @classmethod
    def open(cls, path: PathLike, public_key: PathLike) -> "List":
        """Opens and verifies a published directory (or a snapshot file with
        its ``.minisig``) against the publisher's public key file, following
        any key rotation statements beside it. Raises VerificationError when
        verification refuses it, OpenError when a file cannot be read."""
        return cls(_NativeList.open(os.fspath(path), os.fspath(public_key)), os.fspath(path))

    @classmethod
    def installed(cls, state_dir: Optional[PathLike] = None) -> "List":
        """Opens the snapshot ``hushlist update`` installed in ``state_dir``
        (None: the CLI's default, ``$HUSHLIST_STATE_DIR`` or the user's data
        directory), verified with the keys pinned there."""
        native = _NativeList.installed(None if state_dir is None else os.fspath(state_dir))
        return cls(native, f"installed in {state_dir or 'the default state directory'}")

    @property
    def facts(self) -> dict:
        """What a report cites: sequence, dates, key, digest, parameters."""
        return json.loads(self._native._facts_json())

    @property
    def warnings(self) -> _List[str]:
        """Warnings raised while verifying (a stale list accepted, a revoked key)."""
        return list(self._native.warnings)

    @property
    def key_id(self) -> str:
        return self._native.key_id

    @property
    def sequence(self) -> int:
        return self._native.sequence

    @property
    def sealed(self) -> bool:
        """Whether keys come from the publisher's evaluation service."""
        return self._native.sealed

    @property
    def evaluation_url(self) -> Optional[str]:
        return self._native.evaluation_url

    def __repr__(self) -> str:
        return f"<hushlist.List #{self.sequence} key {self.key_id} from {self._origin}>"

    def _settings(self, regions, jobs, key_cache, memory_budget, evaluation_url, token,
                  token_file, evaluation_timeout, allow_http, ca_cert, redact, allow_letters) -> dict:
        if isinstance(regions, str):
            # "DE,GB,US", as the CLI's --region takes them.
            regions = [r.strip() for r in regions.split(",") if r.strip()]
        token_text, source = (None, None)
        if self.sealed:
            token_text, source = _token(token, token_file)
        return {
            "regions": [str(r) for r in regions],
            "jobs": jobs,
            "key_cache": None if key_cache in (None, False, True) else os.fspath(key_cache),
            "no_key_cache": key_cache is False,
            "memory_budget": memory_budget,
            "evaluation_url": evaluation_url,
            "token": token_text,
            "token_source": source,
            "evaluation_timeout": float(evaluation_timeout),
            "allow_http": bool(allow_http),
            "ca_cert": None if ca_cert is None else os.fspath(ca_cert),
            "redact": bool(redact),
            "allow_letters": bool(allow_letters),
        }

    def check(
        self,
        numbers: Iterable[str],
        *,
        regions: Union[str, Sequence[str]] = (),
        jobs: Optional[int] = None,
        key_cache: Union[None, bool, PathLike] = None,
        memory_budget: Optional[int] = None,
        evaluation_url: Optional[str] = None,
        token: Optional[str] = None,
        token_file: Optional[PathLike] = None,
        evaluation_timeout: float = 30.0,
        allow_http: bool = False,
        ca_cert: Optional[PathLike] = None,
        redact: bool = False,
        allow_letters: bool = False,
        progress: Optional[Progress] = None,
    ) -> Outcome:
        """Checks each string as one number (source ``--number``, lines
        counted from 1), read under ``regions`` when national.

        ``regions``: a list, or one string (``"DE,GB,US"``). ``allow_letters``:
        read vanity letters (``1-800-FLOWERS``) as digits instead of refusing
        them. ``jobs``: hashing threads (None: every core). ``key_cache``: None for
        the CLI's cache, a directory of your own, or False for none.
        ``progress(source, source_rows, rows, matches)`` is called on this
        thread after each batch; Ctrl-C stops the run. The interpreter lock
        is released while hashing.
        """
        settings = self._settings(regions, jobs, key_cache, memory_budget, evaluation_url,
                                  token, token_file, evaluation_timeout, allow_http, ca_cert,
                                  redact, allow_letters)
        cells = ["" if _missing(n) else str(n) for n in numbers]
        text, notices = self._native._check(cells, settings, progress)
        for n in notices:
            log.warning("hushlist: %s", n)
        return Outcome._of(json.loads(text), notices)

    def check_column(
        self,
        cells: Any,
        *,
        region_column: Any = None,
        regions: Union[str, Sequence[str]] = (),
        output: Optional[str] = None,
        source: Optional[str] = None,
        jobs: Optional[int] = None,
        key_cache: Union[None, bool, PathLike] = None,
        memory_budget: Optional[int] = None,
        evaluation_url: Optional[str] = None,
        token: Optional[str] = None,
        token_file: Optional[PathLike] = None,
        evaluation_timeout: float = 30.0,
        allow_http: bool = False,
        ca_cert: Optional[PathLike] = None,
        redact: bool = False,
        allow_letters: bool = False,
        progress: Optional[Progress] = None,
    ) -> ColumnCheck:
        """Checks a column of cells (a pandas Series, polars Series, pyarrow
        Array or ChunkedArray, or a sequence of strings; nulls are empty
        cells) and gives one verdict per cell, in order.

        ``region_column``: each row's region as written (``DE``,
        ``Deutschland``, ``+49``), read before ``regions``, as
        ``hushlist check --region-column`` reads it. ``output``: ``arrow``,
        ``pandas`` or ``polars`` (None: the kind of ``cells``; pyarrow for a
        plain sequence). The other arguments are :meth:`check`'s. A finding's
        ``line`` counts cells from 1 (the first cell is line 1; a pandas
        index may count otherwise).
        """
        if isinstance(cells, (str, bytes)) or hasattr(cells, "columns"):
            raise TypeError("cells must be one column (frame['phone'], a Series, an Array or a list), "
                            f"not {type(cells).__name__}")
        if isinstance(region_column, str):
            raise TypeError("region_column takes the column's values (frame['country']), not its name")
        what = source or getattr(cells, "name", None) or "cells"
        array, kind, index, notices = _columns.to_strings(cells, f"column {what}")
        region_buffers = None
        if region_column is not None:
            region_array, _, _, region_notices = _columns.to_strings(region_column, "region column")
            if len(region_array) != len(array):
                raise ValueError(
                    f"the region column has {len(region_array)} values, the cells {len(array)}"
                )
            notices += [n for n in region_notices if "leading + or 0" not in n]
            region_buffers = _columns.buffers(region_array)
        settings = self._settings(regions, jobs, key_cache, memory_budget, evaluation_url,
                                  token, token_file, evaluation_timeout, allow_http, ca_cert,
                                  redact, allow_letters)
        text, run_notices, columns = self._native._check_column(
            _columns.buffers(array), region_buffers, str(what), settings, progress
        )
        notices += run_notices
        for n in notices:
            log.warning("hushlist: %s", n)
        if output is None:
            output = kind if kind in ("pandas", "polars") else "arrow"
        table = _columns.verdict_table(columns)
        return ColumnCheck(_columns.convert(table, output, index), Outcome._of(json.loads(text), notices))
