r"""One line for every refusal of a configuration: Hydra's, OmegaConf's and YAML's errors too.

Hydra reports a bad override in several lines (or a traceback, for a YAML error
in a config file); the project's own checks say in one line which key or file is
wrong and what it allows (`simulation.bounds.fail`). `refusal` turns any of these
errors into that line, so that every command refuses bad input the same way:

    invalid config: seed = 'abc'; allowed: an integer in [0, 4294967295]
    invalid config: fund/strategy = x; allowed: concentrated, ... (configs/fund/strategy/)
    invalid config file configs/fund/default.yaml, line 3: found character '\t' ...
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from functools import cache
from pathlib import Path

import yaml
from hydra.errors import HydraException, MissingConfigException, OverrideParseException
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from simulation.bounds import declared_keys
from simulation.config import ConfigError

# The errors that mean "this configuration is wrong", not "this program is wrong".
CONFIG_ERRORS = (ConfigError, HydraException, OmegaConfBaseException, yaml.YAMLError)
GRAMMAR = "https://hydra.cc/docs/1.2/advanced/override_grammar/basic"
_INTERPOLATION = re.compile(r"While dereferencing interpolation '(.*?)'")


def _first_line(text: object) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


@cache
def _allowed_by_key() -> dict[str, str]:
    """What each declared numeric key allows, in words (`simulation.bounds`)."""
    from experiments.config.schema import JobConfig

    declared = declared_keys(JobConfig())
    return {path: bounds.describe(integer) for path, (bounds, integer) in declared.items()}


_TYPE_WORDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _allowed_by_type(error: OmegaConfBaseException) -> str | None:
    """What the key's annotation in its dataclass allows, in words; None if unknown."""
    owner = error.object_type
    if owner is None or not dataclasses.is_dataclass(owner):
        return None
    try:
        annotation = typing.get_type_hints(owner).get(str(error.key))
    except (NameError, TypeError):
        return None
    words = [_TYPE_WORDS.get(a) for a in (annotation, *typing.get_args(annotation))]
    words = [w for w in words if w]
    return words[0] if words else None


@cache
def schema_keys(kind: type | None = None) -> tuple[str, ...]:
    """Every key of a typed config, dotted (for a closest-key suggestion).

    Args:
        kind: The schema dataclass (default: `alliance-run`'s `JobConfig`).
    """
    from experiments.config.schema import JobConfig, _schema_paths

    kind = kind or JobConfig
    valid, _ = _schema_paths(OmegaConf.structured(kind()), kind)
    return tuple(sorted(valid))


def closest_key(key: str, keys: tuple[str, ...] | None = None) -> str | None:
    """The valid key closest to a misspelt one, or None when none is close."""
    matches = difflib.get_close_matches(key, keys or schema_keys(), n=1)
    if not matches:  # a misspelt leaf under a right section: compare leaf names
        leaf = key.rsplit(".", 1)[-1]
        by_leaf = {k.rsplit(".", 1)[-1]: k for k in keys or schema_keys()}
        matches = [by_leaf[m] for m in difflib.get_close_matches(leaf, list(by_leaf), n=1)]
    return matches[0] if matches else None


def _value_problem(error: OmegaConfBaseException) -> str:
    """A wrong value of a known key: the key, the value, what it allows."""
    key = error.full_key or str(error.key)
    allowed = _allowed_by_key().get(key)
    value = error.value
    interpolation = _INTERPOLATION.search(error.msg or "")
    if interpolation:
        shown = f"{interpolation.group(1)} (gives {value!r})"
    else:
        shown = repr(value) if value is not None else "null"
    if allowed is None:  # not a declared number: the annotation, or OmegaConf's own words
        allowed = _allowed_by_type(error) or _first_line(
            _INTERPOLATION.sub("", error.msg or "")
        ).lstrip(": ")
    elif value is None:
        allowed = f"{allowed}, not null"
    return f"invalid config: {key} = {shown}; allowed: {allowed}"


def _yaml_problem(error: yaml.YAMLError, root: Path) -> str:
    """A config file YAML cannot read: the file, the line, the problem."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = "a config file"
    if mark is not None:
        name = Path(mark.name)
        if name.is_relative_to(root.parent):
            name = name.relative_to(root.parent)
        where = f"{name}, line {mark.line + 1}"
    problem = getattr(error, "problem", None) or _first_line(error)
    context = getattr(error, "context", None)
    detail = f"{context}: {problem}" if context and "duplicate" in problem else problem
    return (
        f"invalid config file {where}: {detail}; allowed: YAML indented with spaces, "
        "one `key: value` per line, each key once"
    )


def refusal(
    error: BaseException,
    root: Path | None = None,
    overrides: list[str] | None = None,
    keys: tuple[str, ...] | None = None,
    where: str | None = None,
) -> str:
    """One line saying what is wrong in a configuration, naming the key or file.

    Args:
        error: A `ConfigError`, or an error Hydra, OmegaConf or YAML raised while
            composing the configuration.
        root: The config tree (`configs/`), to name its files relative to the project.
        overrides: The command line's overrides, named when the error names no key.
        keys: The valid keys, for a closest-key suggestion (default: `alliance-run`'s).
        where: Where the keys and defaults are documented (default: the config tree).

    Returns:
        The line, without the program's name.
    """
    from experiments.config.schema import CONFIG_DIR

    root = root or Path(CONFIG_DIR)
    where = where or f"{root.name}/"
    cause = error.__cause__
    if isinstance(error, ConfigError):
        return _first_line(error)
    if isinstance(error, yaml.YAMLError):
        return _yaml_problem(error, root)
    if isinstance(error, MissingConfigException) and error.options and error.missing_cfg_file:
        group, _, option = error.missing_cfg_file.rpartition("/")
        allowed = ", ".join(sorted(error.options))
        return f"invalid config: {group} = {option}; allowed: {allowed} ({root.name}/{group}/)"
    if isinstance(error, OverrideParseException):
        return (
            f"invalid override {error.override!r}: {_first_line(error)}; allowed: key=value or "
            f"+key=value, values with spaces, commas or brackets quoted ({GRAMMAR})"
        )
    missing_key = (ConfigKeyError, ConfigAttributeError)
    if isinstance(cause, missing_key) or isinstance(error, missing_key):
        unknown = cause if isinstance(cause, missing_key) else error
        key = unknown.full_key or str(unknown.key)
        closest = closest_key(key, keys)
        hint = f"; did you mean {closest}?" if closest else ""
        return f"invalid config: {key} is not a key{hint} (keys and defaults: {where})"
    for candidate in (cause, error):
        if isinstance(candidate, OmegaConfBaseException) and candidate.full_key:
            return _value_problem(candidate)
    lines = [_first_line(error), *([_first_line(cause)] if cause is not None else [])]
    named = f" (overrides: {' '.join(overrides)})" if overrides else ""
    return "invalid config: " + "; ".join(line for line in lines if line) + named


def is_config_error(error: BaseException) -> bool:
    """Whether an error is about the configuration, not a fault of the program.

    Besides `CONFIG_ERRORS`, Hydra and OmegaConf raise plain `ValueError` and
    `TypeError` on some bad overrides (`fund/strategy=nan`: "Config group
    override must be a string or a list").
    """
    if isinstance(error, CONFIG_ERRORS):
        return True
    if not isinstance(error, (ValueError, TypeError)) or error.__traceback__ is None:
        return False
    innermost = error.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    module = innermost.tb_frame.f_globals.get("__name__", "")
    return module.startswith(("hydra.", "omegaconf."))
