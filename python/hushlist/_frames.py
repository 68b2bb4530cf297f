"""One partition of a distributed check: the same call on each worker, so a
partitioned job gives the rows ``List.check_column`` gives on the whole."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import pyarrow as pa

from . import _columns

#: Which rows a distributed check returns: those someone must look at
#: (a possible match, a doubtful number, a cell that is not a number and was
#: not checked), or every row.
ROWS = ("findings", "matches", "all")
LOOK_AT = ("match", "doubtful", "not_a_number", "unreadable")


pandas_dtypes = _columns.pandas_dtypes


def check_names(columns: Sequence[str], column: str, region_column: Optional[str], keep: Sequence[str]) -> None:
    missing = [c for c in [column, region_column, *keep] if c is not None and c not in columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r}; the frame has: {', '.join(map(str, columns))}")
    clash = [c for c in keep if c in _columns.COLUMNS]
    if clash:
        raise ValueError(
            f"column {clash[0]!r} would clash with a verdict column ({', '.join(_columns.COLUMNS)}); "
            "rename it or leave it out of keep"
        )


def preflight(list_dir, public_key, state_dir, rows: str, options: dict) -> None:
    """Opens the list on the driver with the paths given and tries the
    options on no cells: a refused list, a key that does not match or a
    region typo fail here, named as the caller wrote them, before any task."""
    from ._ship import opened

    if rows not in ROWS:
        raise ValueError(f"rows must be one of {', '.join(ROWS)}, not {rows!r}")

    opened(list_dir, public_key, state_dir, None).check([], **options)


def wanted(table: pa.Table, rows: str) -> pa.Table:
    import pyarrow.compute as pc

    if rows == "all":
        return table
    statuses = ["match"] if rows == "matches" else list(LOOK_AT)
    status = pc.cast(table.column("status"), pa.string())
    keep = pc.is_in(status, value_set=pa.array(statuses))
    if rows == "findings":
        # A clear number on a row whose region was not understood was read
        # under the defaults: said in its note, so the row is kept.
        keep = pc.or_(keep, pc.is_valid(table.column("note")))
    return table.filter(keep)


def check_arrow(
    lst, table: pa.Table, column: str, region_column: Optional[str], keep: Sequence[str], rows: str, options: dict
) -> pa.Table:
    """The kept columns of `table` beside the verdicts on `column`."""
    regions = table.column(region_column) if region_column is not None else None
    result = lst.check_column(table.column(column), region_column=regions, output="arrow", **options)
    verdicts = result.verdicts
    for name in reversed(list(keep)):
        verdicts = verdicts.add_column(0, name, table.column(name))
    return wanted(verdicts, rows)


def check_pandas(lst, frame, column, region_column, keep, rows, options):
    """A pandas partition's kept columns beside the verdicts, with its index."""
    regions = frame[region_column] if region_column is not None else None
    verdicts = lst.check_column(frame[column], region_column=regions, output="pandas", **options).verdicts
    if rows != "all":
        statuses = ["match"] if rows == "matches" else list(LOOK_AT)
        # By position: a partition's index need not be unique.
        picked = verdicts["status"].isin(statuses).to_numpy().copy()
        if rows == "findings":
            picked |= verdicts["note"].notna().to_numpy()
        verdicts = verdicts[picked]
        kept = frame.iloc[picked.nonzero()[0]]
    else:
        kept = frame
    out = verdicts.copy()
    for i, name in enumerate(keep):
        out.insert(i, name, kept[name].to_numpy())
    return out
