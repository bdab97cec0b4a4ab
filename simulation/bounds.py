"""Plausible ranges of the numeric configuration keys, declared beside their defaults.

Every numeric field of the configuration dataclasses is declared with `param`,
which records its plausible range and unit in the field's metadata. One function,
`check_bounds`, then refuses a value that is not a finite number of the right type
inside that range, naming the key, the value and the range. The ranges are the
single source of truth: validation, the documentation and the property-based
tests read them from here.

A range is wider than any value the literature or the calibration suggests (the
priors and sensitivity bounds lie inside it, which a test checks) and narrower
than what makes the model meaningless: a share above 1, a budget no fund has, a
world of one territory.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass


class ConfigError(ValueError):
    """A configuration value is outside what the model accepts."""


@dataclass(frozen=True)
class Bounds:
    """The plausible range of a numeric key.

    Attributes:
        low: Smallest accepted value.
        high: Largest accepted value.
        unit: Unit of the value ("1" for a pure number).
    """

    low: float
    high: float
    unit: str

    def describe(self, integer: bool) -> str:
        """The range in words, for error messages and documentation.

        Args:
            integer: Whether the key takes integers.

        Returns:
            For example "a finite number in [0, 1e+10] EUR".
        """
        unit = "" if self.unit == "1" else f" {self.unit}"
        if integer:
            return f"an integer in [{int(self.low)}, {int(self.high)}]{unit}"
        return f"a finite number in [{self.low:g}, {self.high:g}]{unit}"


def param(
    default: object, low: float, high: float, unit: str = "1", doc: str = ""
) -> dataclasses.Field:
    """A dataclass field with a default and a declared plausible range.

    Args:
        default: The default value; a list or dict is copied for each instance.
        low: Smallest accepted value (of each item, for a list or dict).
        high: Largest accepted value.
        unit: Unit of the value.
        doc: Its meaning, for keys whose YAML line carries no comment.

    Returns:
        The field, its range in `metadata["bounds"]`, its meaning in `metadata["doc"]`.
    """
    metadata = {"bounds": Bounds(low, high, unit), "doc": doc}
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def fail(key: str, value: object, allowed: str) -> None:
    """Raise the project's one form of configuration error.

    Args:
        key: Dotted path of the key.
        value: The value given.
        allowed: What the key accepts, in words.

    Raises:
        ConfigError: Always.
    """
    msg = f"invalid config: {key} = {value!r}; allowed: {allowed}"
    raise ConfigError(msg)


def is_integer_field(field: dataclasses.Field) -> bool:
    """Whether a field holds integers (its annotation is `int`)."""
    return field.type in ("int", int)


def bounded_fields(obj: object) -> list[tuple[dataclasses.Field, Bounds]]:
    """The fields of a config dataclass that declare a range, with their range."""
    return [
        (field, field.metadata["bounds"])
        for field in dataclasses.fields(obj)
        if "bounds" in field.metadata
    ]


def check_value(key: str, value: object, bounds: Bounds, integer: bool) -> None:
    """Refuse a value that is not a finite number of the right type within `bounds`.

    Args:
        key: Dotted path of the key, for the message.
        value: The value.
        bounds: Its declared range.
        integer: Whether only integers are accepted.

    Raises:
        ConfigError: The value is not accepted.
    """
    numeric = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, numeric):
        fail(key, value, bounds.describe(integer))
    if not math.isfinite(value) or not bounds.low <= value <= bounds.high:
        fail(key, value, bounds.describe(integer))


def check_bounds(obj: object, key: str) -> None:
    """Check every declared numeric field of one config section.

    Lists are checked item by item (`key[i]`), dicts value by value (`key.name`).

    Args:
        obj: A config dataclass instance.
        key: Its dotted path in the config tree.

    Raises:
        ConfigError: The first value outside its range, named.
    """
    for field, bounds in bounded_fields(obj):
        value = getattr(obj, field.name)
        path = f"{key}.{field.name}" if key else field.name
        integer = is_integer_field(field)
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                check_value(f"{path}[{i}]", item, bounds, integer)
        elif isinstance(value, dict):
            for name, item in value.items():
                check_value(f"{path}.{name}", item, bounds, integer)
        else:
            check_value(path, value, bounds, integer)


def _declared_fields(obj: object, prefix: str = "") -> list[tuple[str, dataclasses.Field]]:
    """(dotted path, field) of every `param` field of a config tree.

    Nested sections and the values of dicts of sections (the profiles) included.
    """
    found: list[tuple[str, dataclasses.Field]] = []
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        path = f"{prefix}{field.name}"
        if "bounds" in field.metadata:
            found.append((path, field))
        elif dataclasses.is_dataclass(value):
            found += _declared_fields(value, f"{path}.")
        elif isinstance(value, dict):
            for name, item in value.items():
                if dataclasses.is_dataclass(item):
                    found += _declared_fields(item, f"{path}.{name}.")
    return found


def declared_keys(obj: object) -> dict[str, tuple[Bounds, bool]]:
    """Every declared numeric key of a config tree, with its range.

    Args:
        obj: A config dataclass instance (e.g. `RunConfig()`).

    Returns:
        `{dotted path: (bounds, takes integers)}`.
    """
    return {
        path: (field.metadata["bounds"], is_integer_field(field))
        for path, field in _declared_fields(obj)
    }


def field_docs(obj: object) -> dict[str, str]:
    """The `doc` of every declared key of a config tree that has one, by dotted path."""
    return {
        path: field.metadata["doc"]
        for path, field in _declared_fields(obj)
        if field.metadata["doc"]
    }
