"""The explorer's interactive figures: plotly.js specifications of the seeds' summaries."""

import json
import math

import pytest
import xarray as xr

from experiments.explore import plots, summaries
from experiments.explore.choice import Choice
from experiments.explore.compute import combine
from simulation import run

from .conftest import small_config


@pytest.fixture(scope="module")
def dataset() -> xr.Dataset:
    return combine([run(small_config(seed)) for seed in (0, 1, 2)], Choice(n_seeds=3))


def traces(figure: dict, name: str) -> list[dict]:
    return [t for t in figure["data"] if t.get("name") == name]


def test_every_line_is_the_mean_over_the_seeds_with_its_range_on_hover(dataset):
    series = summaries.value_over_time(dataset)
    figure = plots.value_plot(series)
    json.dumps(figure, allow_nan=False)  # plain JSON: what the page sends to the browser
    (treated,) = traces(figure, "with the fund")
    assert treated["y"] == pytest.approx(list(series["treated_mean"].values / 1e3))
    low, high = zip(*treated["customdata"], strict=True)
    assert list(low) == pytest.approx(list(series["treated_low"].values / 1e3))
    assert list(high) == pytest.approx(list(series["treated_high"].values / 1e3))
    assert "5-95 %" in treated["hovertemplate"] and "kEUR per quarter" in treated["hovertemplate"]
    (extra,) = traces(figure, "extra value")
    assert extra["xaxis"] == "x2" and extra["y"][-1] == pytest.approx(
        float(series["extra_mean"][-1]) / 1e3
    )
    # The band under the line: its lower edge, then its upper edge filled down to it.
    index = figure["data"].index(treated)
    assert figure["data"][index - 1]["fill"] == "tonexty"
    assert figure["data"][index - 1]["y"] == pytest.approx(list(high))


def test_missing_values_are_gaps_not_invalid_json():
    assert plots.numbers([1.0, math.nan, math.inf]) == [1.0, None, None]


def test_large_amounts_are_drawn_in_meur(dataset):
    series = summaries.value_over_time(dataset) * 1e4  # a national world's size
    figure = plots.value_plot(series)
    assert figure["layout"]["yaxis"]["title"]["text"] == "social value (MEUR per quarter)"


def test_size_classes_have_one_legend_with_both_worlds(dataset):
    figure = plots.size_plot(
        summaries.by_size(dataset, "engineering_capacity"), summaries.by_size(dataset, "maturity")
    )
    legend = [t["name"] for t in figure["data"] if t.get("showlegend")]
    sizes = [s for s in summaries.SIZE_ORDER if s in figure_sizes(dataset)]
    assert legend == [f"{s}, {w}" for s in sizes for w in ("fund", "no fund")]
    assert len(traces(figure, "small, no fund")) == 2  # one per panel
    assert all(t["line"]["dash"] == "dash" for t in traces(figure, "large, no fund"))


def figure_sizes(dataset: xr.Dataset) -> set[str]:
    return set(summaries.by_size(dataset, "maturity").size_class.values)


def test_every_territory_is_one_tile_with_its_number_on_hover(dataset):
    values = summaries.territory_map(dataset, "extra_value")
    figure = plots.territory_plot(values)
    shown = {}
    for tile in figure["data"]:
        for names, row in zip(tile["text"], tile["z"], strict=True):
            shown.update({n: z for n, z in zip(names, row, strict=True) if n})
    assert len(shown) == values.sizes["territory"]
    for territory, value in zip(values.territory.values, values.values, strict=True):
        assert shown[f"territory {int(territory)}"] == pytest.approx(float(value))
    scale = figure["layout"]["coloraxis"]
    if values.min() < 0 < values.max():  # diverging around zero
        assert scale["cmin"] == -scale["cmax"]


def test_the_script_is_the_installed_packages_or_none():
    path = plots.javascript()
    if path is None:
        assert not plots.available()
    else:
        assert path.name == "plotly.min.js" and path.stat().st_size > 1_000_000
        assert b"plotly.js" in path.read_bytes()[:300]
