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
    import inspect, json
    reads = []  # frames whose file Python read to describe them
    getframeinfo = inspect.getframeinfo
    def counted(*args, **kwargs):
        reads.append(1)
        return getframeinfo(*args, **kwargs)
    inspect.getframeinfo = counted
    {first}
    import mesa
    from mesa import mesa_logging
    wrapper = mesa.Model.__init__
    cells = [cell.cell_contents for cell in wrapper.__closure__]
    names = [cell for cell in cells if isinstance(cell, str)]
    loggers = {{key: logger.name for key, logger in mesa_logging._module_loggers.items()}}
    print(json.dumps({{"loggers": loggers, "init_logger_class": names, "reads": len(reads)}}))
    """
)


def mesa_loggers(first: str) -> dict:
    """The loggers Mesa named while importing, in a fresh interpreter, and the frames read."""
    return json.loads(python_output(LOGGERS.format(first=first)))


def test_mesa_names_the_same_loggers_without_reading_frames():
    plain = mesa_loggers("")
    light = mesa_loggers("import simulation")
    assert plain.pop("reads") > 10 and light.pop("reads") == 0
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
