"""Checks on Dask: each partition is checked where it lives, by workers that
open and verify the list once per process.

    >>> import dask.dataframe as dd, hushlist.dask
    >>> inventory = dd.read_parquet("inventory/")
    >>> findings = hushlist.dask.check_dataframe(
    ...     inventory, column="msisdn", region_column="country",
    ...     list_dir="site/", public_key="hushlist.pub", regions=["US"])
    >>> findings.to_parquet("findings/")
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from . import _frames
from ._ship import ShippedList, opened

__all__ = ["check_dataframe"]


def _partition(frame, column, region_column, keep, rows, list_dir, public_key, state_dir, shipped, options):
    lst = opened(list_dir, public_key, state_dir, shipped)
    return _frames.check_pandas(lst, frame, column, region_column, keep, rows, options)


def check_dataframe(
    ddf: Any,
    column: str,
    *,
    region_column: Optional[str] = None,
    list_dir: Optional[str] = None,
    public_key: Optional[str] = None,
    state_dir: Optional[str] = None,
    ship: bool = True,
    keep: Optional[Sequence[str]] = None,
    rows: str = "findings",
    regions: Sequence[str] = (),
    jobs: Optional[int] = 1,
    **options: Any,
) -> Any:
    """A Dask DataFrame of the verdicts on `column`, partition by partition,
    beside the columns in `keep` (default: every column of `ddf`).

    The list: `list_dir` and `public_key` (packed here and shipped with the
    tasks when `ship`, else paths every worker can read), or neither for the
    list ``hushlist update`` installed in each worker's `state_dir`.

    `rows`: ``findings`` (a possible match, a doubtful number, a cell not
    checked because it is not a number, or a row whose region was not
    understood), ``matches``, or ``all``. `jobs`:
    hashing threads per task (default 1: Dask's own threads are the
    parallelism). Other keyword arguments are :meth:`hushlist.List.check_column`'s,
    such as ``key_cache``: each worker uses the key cache of its own user,
    as the CLI does, so a worker re-checks what it checked before for free.
    """
    import pandas as pd

    keep = list(ddf.columns if keep is None else keep)
    _frames.check_names(list(ddf.columns), column, region_column, keep)
    options = dict(options, regions=regions, jobs=jobs)
    _frames.preflight(list_dir, public_key, state_dir, rows, options)
    shipped = None
    if ship and list_dir is not None and public_key is not None:
        shipped = ShippedList.pack(list_dir, public_key)
    dtypes = _frames.pandas_dtypes()
    meta = pd.DataFrame({name: pd.Series(dtype=ddf[name].dtype) for name in keep})
    for name, dtype in dtypes.items():
        meta[name] = pd.Series(dtype=dtype)
    return ddf.map_partitions(
        _partition,
        column,
        region_column,
        keep,
        rows,
        None if shipped else list_dir,
        None if shipped else public_key,
        state_dir,
        shipped,
        options,
        meta=meta,
        align_dataframes=False,
    )
