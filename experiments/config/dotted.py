"""Nested configurations as dotted keys: `{"fund": {"budget_eur": 1}}` is `fund.budget_eur`.

A run records its resolved configuration as nested JSON; merging sweeps and
appraising them compare and tabulate it key by key.
"""

from __future__ import annotations


def flatten(node: object, prefix: str = "") -> dict[str, object]:
    """A nested JSON config as {dotted key: value}."""
    if isinstance(node, dict):
        flat: dict[str, object] = {}
        for key, value in node.items():
            flat |= flatten(value, f"{prefix}{key}.")
        return flat
    return {prefix.rstrip("."): node}
