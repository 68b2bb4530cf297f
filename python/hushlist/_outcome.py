"""What a check found, as plain Python objects.

They are read from the library's serialized outcome (the same fields as
``hushlist check --format json``), so a program here and the CLI see the same
findings, problems and totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass(frozen=True)
class Occurrence:
    """Where a number was found: one cell of one row."""

    source: str
    line: int
    column: str
    input: str
    fields: List[str]
    #: The region the row names, when the number matched only under another one.
    row_region: Optional[str] = None

    @classmethod
    def _of(cls, d: Dict[str, Any]) -> "Occurrence":
        return cls(d["source"], d["line"], d["column"], d["input"], list(d["fields"]), d.get("row_region"))


@dataclass(frozen=True)
class Finding:
    """A number, with every cell that holds it: a possible match or a doubtful number."""

    e164: str
    #: The default region that gave this reading; None when written internationally.
    region: Optional[str]
    valid: bool
    note: Optional[str]
    occurrences: List[Occurrence]
    #: Whether the last run over the same inputs did not find it (None: unknown).
    new: Optional[bool] = None

    @classmethod
    def _of(cls, d: Dict[str, Any]) -> "Finding":
        return cls(
            d["e164"],
            d.get("region"),
            d["valid"],
            d.get("note"),
            [Occurrence._of(o) for o in d["occurrences"]],
            d.get("new"),
        )


@dataclass(frozen=True)
class Problem:
    """A cell or row that could not be checked as it stands."""

    source: str
    line: int
    column: str
    input: str
    #: What a program branches on: ``letters``, ``too_short``, ``unknown_region``...
    kind: str
    #: What is wrong, and what happened instead, for people.
    reason: str

    @classmethod
    def _of(cls, d: Dict[str, Any]) -> "Problem":
        return cls(d["source"], d["line"], d["column"], d["input"], d["kind"], d["reason"])


@dataclass(frozen=True)
class Outcome:
    """Totals and findings of one check."""

    rows: int
    cells: int
    empty: int
    checked: int
    lookups: int
    possible_only: int
    cached: int
    hashed: int
    matches: List[Finding]
    warnings: List[Finding]
    invalid: List[Problem]
    region_problems: List[Problem]
    #: Every input as the library summarized it (name, rows, warnings...).
    sources: List[Dict[str, Any]]
    #: What was chosen on the caller's behalf or changed (the evaluation
    #: service asked, fewer hashing threads for memory, a key cache unusable).
    notices: List[str] = field(default_factory=list)

    @classmethod
    def _of(cls, d: Dict[str, Any], notices: List[str]) -> "Outcome":
        return cls(
            rows=d["rows"],
            cells=d["cells"],
            empty=d["empty"],
            checked=d["checked"],
            lookups=d["lookups"],
            possible_only=d["possible_only"],
            cached=d["cached"],
            hashed=d["hashed"],
            matches=[Finding._of(f) for f in d["matches"]],
            warnings=[Finding._of(f) for f in d["warnings"]],
            invalid=[Problem._of(p) for p in d["invalid"]],
            region_problems=[Problem._of(p) for p in d["region_problems"]],
            sources=list(d["sources"]),
            notices=list(notices),
        )

    @property
    def other_region_matches(self) -> int:
        """Matched cells read under another region than their row names: likely other numbers."""
        return sum(1 for f in self.matches for o in f.occurrences if o.row_region is not None)

    @property
    def complete(self) -> bool:
        """Whether every non-empty cell was a number (nothing left unchecked)."""
        return not self.invalid and not any(s.get("failed") for s in self.sources)
