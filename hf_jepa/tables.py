# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""The one table formatter of the package: evaluation results, the quality benchmark and the speed benchmark."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

# The models a probe report compares, in the order every report lists them: the trained encoder, the same network at
# random initialisation, and the raw pixels.
REPORTED_MODELS = ("trained", "random-init", "raw-pixels")


def format_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A plain-text table with right-aligned columns that is also valid Markdown."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells: Sequence) -> str:
        return "| " + " | ".join(str(cell).rjust(width) for cell, width in zip(cells, widths)) + " |"

    rule = "|" + "|".join("-" * (width + 1) + ":" for width in widths) + "|"
    return "\n".join([line(headers), rule] + [line(row) for row in rows])


def format_records(title: str, columns: Mapping[str, Callable[[Any], object]], records: Iterable) -> str:
    """`title` above a table of `records`, a row each: `columns` maps each header to the function giving a record's
    cell in that column."""
    rows = [[cell(record) for cell in columns.values()] for record in records]
    return f"{title}\n{format_table(list(columns), rows)}"
