"""Columns in and out: pandas, polars and pyarrow cells become one Arrow
``large_string`` array whose buffers the library reads in place; the
verdicts come back as Arrow buffers, without a Python object per cell."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import pyarrow as pa
import pyarrow.compute as pc

#: Cell statuses, in the order of the library's codes.
STATUSES = ["match", "doubtful", "clear", "empty", "not_a_number", "unreadable"]
STRING_COLUMNS = ["e164", "reason", "kind", "note", "row_region"]
COLUMNS = ["matched", "status", "e164", "valid", "reason", "kind", "note", "row_region"]


def _kind(values: Any) -> str:
    module = type(values).__module__.split(".")[0]
    if module == "pandas":
        return "pandas"
    if module == "polars":
        return "polars"
    if module == "pyarrow":
        return "arrow"
    return "python"


def to_strings(values: Any, what: str) -> Tuple[pa.Array, str, Optional[Any], List[str]]:
    """`values` as a ``large_string`` Arrow array, the kind of input, its
    pandas index if any, and what the conversion had to decide."""
    kind = _kind(values)
    index = None
    notices: List[str] = []
    if kind == "pandas":
        index = values.index
        array = pa.Array.from_pandas(values)
    elif kind == "polars":
        array = values.to_arrow()
    elif kind == "arrow":
        array = values
    else:
        array = pa.array([None if v is None else v for v in values])
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], pa.large_string())
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    original = array.type
    if pa.types.is_floating(array.type):
        # A spreadsheet or read_csv turned the phone column into numbers:
        # a leading + or 0 is gone and each whole float is read as its digits.
        whole = pc.equal(pc.floor(array), array)
        if not pc.all(pc.or_kleene(pc.is_null(array), whole)).as_py():
            raise TypeError(
                f"{what}: numbers with fractions are not phone numbers; read the file with dtype=str"
            )
        array = pc.cast(array, pa.int64())
    if pa.types.is_integer(array.type):
        notices.append(
            f"{what} held numbers ({original}), not text: each is read as its digits, and a "
            "leading + or 0 the file had is lost; read it with dtype=str to keep them"
        )
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        try:
            array = pc.cast(array, pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise TypeError(f"{what}: cells of type {array.type} cannot be read as text") from e
    array = array.cast(pa.large_string())
    return array, kind, index, notices


def buffers(array: pa.Array) -> Tuple[bytes, bytes, Optional[bytes], int, int]:
    """The array's buffers, as the library reads them."""
    validity, offsets, data = array.buffers()
    return (
        offsets.to_pybytes() if offsets is not None else b"\0" * 8,
        data.to_pybytes() if data is not None else b"",
        validity.to_pybytes() if validity is not None and array.null_count else None,
        array.offset,
        len(array),
    )


def verdict_table(columns: Any) -> pa.Table:
    """The library's verdict buffers as an Arrow table."""
    status_codes, matched, valid_validity, valid_values, strings = columns
    n = len(status_codes)
    codes = pa.Array.from_buffers(pa.int8(), n, [None, pa.py_buffer(status_codes)])
    status = pa.DictionaryArray.from_arrays(codes, pa.array(STATUSES))
    valid = pa.Array.from_buffers(
        pa.bool_(), n, [pa.py_buffer(valid_validity), pa.py_buffer(valid_values)]
    )
    text = {
        name: pa.Array.from_buffers(
            pa.large_string(),
            n,
            [pa.py_buffer(v), pa.py_buffer(o), pa.py_buffer(d)],
            null_count=nulls,
        )
        for name, (v, o, d, nulls) in zip(STRING_COLUMNS, strings)
    }
    return pa.table(
        {
            "matched": pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(matched)]),
            "status": status,
            "e164": text["e164"],
            "valid": valid,
            "reason": text["reason"],
            "kind": text["kind"],
            "note": text["note"],
            "row_region": text["row_region"],
        }
    )


def pandas_dtypes() -> dict:
    """The verdict columns' pandas dtypes: NumPy booleans for matched (it
    filters fastest and has no nulls), nullable ones for the rest."""
    import pandas as pd

    text = pd.StringDtype()
    return {
        "matched": bool,
        "status": pd.CategoricalDtype(STATUSES),
        "e164": text,
        "valid": pd.BooleanDtype(),
        "reason": text,
        "kind": text,
        "note": text,
        "row_region": text,
    }


def convert(table: pa.Table, output: str, index: Optional[Any]) -> Any:
    """`table` as the kind of frame asked for."""
    if output == "arrow":
        return table
    if output == "pandas":
        import pandas as pd

        frame = table.to_pandas().astype(pandas_dtypes())
        if index is not None:
            frame.index = index
        return frame
    if output == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValueError(f"output must be 'arrow', 'pandas' or 'polars', not {output!r}")
