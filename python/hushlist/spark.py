"""Checks on Spark: a ``mapInArrow`` function, so each executor checks its
Arrow batches with the library, and the list travels with the job.

    >>> import hushlist.spark
    >>> inventory = spark.read.parquet("inventory/")
    >>> findings = hushlist.spark.check_dataframe(
    ...     inventory, column="msisdn", region_column="country",
    ...     list_dir="site/", public_key="hushlist.pub", regions=["US"])
    >>> findings.write.parquet("findings/")
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional, Sequence

import pyarrow as pa

from . import _columns, _frames
from ._ship import ShippedList, opened

__all__ = ["check_dataframe", "check_batches", "VERDICT_SCHEMA"]

#: The verdict columns, as Spark DDL.
VERDICT_SCHEMA = (
    "matched boolean, status string, e164 string, valid boolean, "
    "reason string, kind string, note string, row_region string"
)


def check_batches(
    column: str,
    *,
    region_column: Optional[str] = None,
    list_dir: Optional[str] = None,
    public_key: Optional[str] = None,
    state_dir: Optional[str] = None,
    ship: bool = True,
    keep: Sequence[str] = (),
    rows: str = "findings",
    regions: Sequence[str] = (),
    jobs: Optional[int] = 1,
    **options: Any,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function to give ``DataFrame.mapInArrow``, with the schema
    ``<kept columns>, `` + :data:`VERDICT_SCHEMA`. The arguments are
    :func:`hushlist.dask.check_dataframe`'s."""
    options = dict(options, regions=regions, jobs=jobs)
    _frames.preflight(list_dir, public_key, state_dir, rows, options)
    shipped = ShippedList.pack(list_dir, public_key) if ship and list_dir and public_key else None
    keep = list(keep)
    paths = (None, None) if shipped else (list_dir, public_key)

    def check(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lst = opened(paths[0], paths[1], state_dir, shipped)
        for batch in batches:
            table = pa.Table.from_batches([batch])
            out = _frames.check_arrow(lst, table, column, region_column, keep, rows, options)
            fields = []
            for name in out.column_names:
                col = out.column(name)
                if name == "status" or name in _columns.STRING_COLUMNS:
                    # Spark takes plain strings: no dictionaries, no large offsets.
                    col = col.cast(pa.string())
                fields.append((name, col))
            yield from pa.table(dict(fields)).to_batches()

    return check


def check_dataframe(sdf: Any, column: str, *, keep: Optional[Sequence[str]] = None, **kwargs: Any) -> Any:
    """A Spark DataFrame of the verdicts on `column` beside the columns in
    `keep` (default: every column of `sdf`); see :func:`check_batches`."""
    keep = list(sdf.columns if keep is None else keep)
    # mapInArrow's schema is in the frame's order: the kept columns follow it.
    keep = [f.name for f in sdf.schema.fields if f.name in keep] + [k for k in keep if k not in sdf.columns]
    _frames.check_names(list(sdf.columns), column, kwargs.get("region_column"), keep)
    kept = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in sdf.schema.fields if f.name in keep)
    schema = f"{kept}, {VERDICT_SCHEMA}" if kept else VERDICT_SCHEMA
    return sdf.mapInArrow(check_batches(column, keep=keep, **kwargs), schema)
