"""Tests for simulation.mesa_import: Mesa imported faster, with the same loggers."""

import inspect
import json
import sys
import textwrap

import pytest

from simulation.mesa_import import light_frame_inspection

from .conftest import python_output

LOGGERS = textwrap.dedent(
    """
    import json, sys
    {first}
    import mesa
    from mesa import mesa_logging
    wrapper = mesa.Model.__init__
    cells = [cell.cell_contents for cell in wrapper.__closure__]
    names = [cell for cell in cells if isinstance(cell, str)]
    loggers = {{key: logger.name for key, logger in mesa_logging._module_loggers.items()}}
    print(json.dumps({{"loggers": loggers, "init_logger_class": names}}))
    """
)


def mesa_loggers(first: str) -> dict:
    """The loggers Mesa named while importing, in a fresh interpreter."""
    script = LOGGERS.format(first=first)
    return json.loads(python_output(script))


def test_mesa_names_the_same_loggers_as_a_plain_import():
    plain = mesa_loggers("")
    light = mesa_loggers("import simulation")
    assert light == plain
    assert plain["loggers"]["mesa.model"] == "MESA.mesa.model"
    assert plain["init_logger_class"] == ["Model"]


def here() -> tuple[str, object]:
    """The function name and module of the caller's frame, as Mesa reads them."""
    record = inspect.stack()[1]
    return record[3], inspect.getmodule(record[0])


def test_light_inspection_reads_the_same_function_and_module():
    plain = here()
    with light_frame_inspection():
        light = here()
    expected = ("test_light_inspection_reads_the_same_function_and_module", sys.modules[__name__])
    assert light == plain == expected


def test_inspect_is_restored_even_after_an_error():
    originals = inspect.getouterframes, inspect.getmodule
    with pytest.raises(RuntimeError), light_frame_inspection():
        assert inspect.getouterframes is not originals[0]
        raise RuntimeError
    assert (inspect.getouterframes, inspect.getmodule) == originals
