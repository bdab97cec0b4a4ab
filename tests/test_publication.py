"""Publication metadata: what fails before anything is written."""

import pytest

from experiments.publish.publication import Creator, PublishConfig
from experiments.publish.publish import load_publish_config
from simulation.config import ConfigError

ADA = Creator(given_names="Ada", family_names="Lovelace")


def test_a_complete_config_validates_and_canonicalises_the_license():
    config = PublishConfig(title="T", creators=[ADA], license="cc-by-4.0").validate()
    assert config.license == "CC-BY-4.0"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": " "}, "title is missing"),
        ({"license": "CC-BY-4"}, "license = 'CC-BY-4'; allowed: an SPDX license"),
        ({"license": "CC-BY-4.0 OR CC0-1.0"}, "allowed: one SPDX license identifier"),
        ({"creators": []}, "creators is empty"),
        ({"creators": [Creator(given_names="Ada")]}, "creators[0].family_names is missing"),
        (
            {"creators": [Creator(family_names="L", orcid="0000-0002-1825-0097")]},
            "creators[0].orcid",
        ),
        ({"date_created": "yesterday"}, "date_created = 'yesterday'"),
    ],
)
def test_bad_metadata_names_the_key(changes, message):
    config = PublishConfig(title="T", creators=[ADA])
    for key, value in changes.items():
        setattr(config, key, value)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config.validate()


def test_the_yaml_defaults_and_overrides_compose():
    config = load_publish_config(
        ["title=My data", "creators=[{given_names: Ada, family_names: Lovelace}]"]
    )
    assert config.title == "My data" and config.creators[0].family_names == "Lovelace"
    assert config.license == "CC-BY-4.0" and "SDG 17" in config.keywords


def test_the_yaml_default_has_no_title_and_unknown_keys_are_refused():
    with pytest.raises(ConfigError, match="title is missing"):
        load_publish_config(["creators=[{family_names: Lovelace}]"])
    with pytest.raises(ConfigError, match="titel"):
        load_publish_config(["titel=x", "title=T", "creators=[{family_names: L}]"])


def test_an_unquoted_special_value_gets_a_quoting_hint():
    with pytest.raises(ConfigError, match="quote values with commas"):
        load_publish_config(["title=Sensitivity (Sobol, N=64)"])


def test_an_appended_unknown_key_is_refused_with_the_closest_key():
    with pytest.raises(ConfigError, match="did you mean title"):
        load_publish_config(["+titel=My data"])
