"""alliance-publish and alliance-verify as a user runs them, on a run and on a sweep."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
import xarray as xr

from experiments.publish.conventions import convention_problems
from experiments.publish.manifest import sha256, write_manifest
from experiments.publish.publish import target_sources
from experiments.storage.files import open_zarr_zip

from .cff import cff_problems
from .conftest import SMALL_OVERRIDES, cli, small_sweep

METADATA = [
    "title=Alliance premium test data",
    "creators=[{given_names: Ada, family_names: Lovelace, affiliation: Le RAMEAU}]",
]


def simulate(folder: Path, *overrides: str) -> Path:
    result = cli(
        "alliance-run", *overrides, *SMALL_OVERRIDES, f"hydra.run.dir={folder}", cwd=folder.parent
    )
    assert result.returncode == 0, result.stderr
    return folder / "dataset.nc"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("publish")
    dataset = simulate(root / "run", "seed=4")
    result = cli("alliance-publish", str(dataset), str(root / "package"), *METADATA, cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "package"


def data_checksums(package: Path) -> dict[str, str]:
    return {
        p.relative_to(package).as_posix(): sha256(p)
        for folder in ("data", "tables")
        for p in sorted((package / folder).rglob("*"))
        if p.is_file()
    }


def test_the_package_holds_every_promised_file(package):
    for name in (
        "data/dataset.nc",
        "data/dataset.zarr.zip",
        "tables/runs.csv",
        "provenance/provenance.json",
        "provenance/run_configs.json",
        "provenance/calibrated_set.yaml",
        "README.md",
        "CITATION.cff",
        "datapackage.json",
        "MANIFEST.sha256",
    ):
        assert (package / name).is_file(), name
    listed = (package / "MANIFEST.sha256").read_text()
    assert "data/dataset.zarr.zip" in listed and "MANIFEST" not in listed
    assert sum(1 for p in package.rglob("*") if p.is_file()) <= 100


def test_the_data_open_with_plain_xarray_and_follow_cf_and_acdd(package):
    with xr.open_dataset(package / "data" / "dataset.nc") as netcdf:
        data = netcdf.load()
    with open_zarr_zip(package / "data" / "dataset.zarr.zip") as zarr:
        xr.testing.assert_identical(data, zarr.load())
    assert data.attrs["Conventions"] == "CF-1.11, ACDD-1.3"
    assert data.attrs["title"] == "Alliance premium test data"
    assert data.attrs["license"] == "CC-BY-4.0"
    assert data.attrs["creator_name"] == "Ada Lovelace"
    assert "deux fois plus frugal" in data.attrs["references"]
    assert data.attrs["seed"] == 4 and json.loads(data.attrs["config_json"])["seed"] == 4
    for name, variable in data.data_vars.items():
        if name == "time_bnds":  # CF bounds take their units from `time`
            continue
        assert variable.attrs.get("units") and variable.attrs.get("description"), name
    for name, coordinate in data.coords.items():
        assert coordinate.attrs.get("long_name"), name
    assert convention_problems(data) == []


def test_time_is_calendar_time_and_money_is_cf_valid(package):
    with xr.open_dataset(package / "data" / "dataset.nc", decode_times=False) as raw:
        assert raw.time.attrs["units"] == "days since 2020-01-01"
        assert raw.time.attrs["calendar"] == "standard"
        assert raw.time.attrs["standard_name"] == "time" and raw.time.attrs["bounds"] == "time_bnds"
    with xr.open_dataset(package / "data" / "dataset.nc") as data:
        assert str(data.time.values[0])[:10] == "2020-04-01"  # the end of the first quarter
        assert str(data.time_bnds.values[0, 0])[:10] == "2020-01-01"
        assert data.value_created.attrs["cell_methods"] == "time: sum"
        assert data.engineering_capacity.attrs["cell_methods"] == "time: point"
        money = data.value_created_pv.attrs
        assert money["units"] == "1" and money["currency"] == "EUR"
        assert money["price_base_year"] == 2020
        assert data.attrs["time_coverage_start"] == "2020-04-01"  # the first data point
        assert data.attrs["time_coverage_end"] == "2024-01-01"  # 4 years of quarters
        assert data.attrs["time_coverage_duration"] == "P3Y9M"
        assert data.value_created.dims[-1] == "time"  # CF: other dimensions left of time
        assert data.attrs["time_coverage_resolution"] == "P3M"
        assert data.attrs["id"].startswith("alliance-premium-")
        kinds = {v.attrs["coverage_content_type"] for v in data.variables.values()}
        assert kinds == {"modelResult", "coordinate", "auxiliaryInformation"}
    card = (package / "README.md").read_text()
    assert "No geography" in card and "currency" in card


def test_verify_names_what_a_convention_checker_would_flag(package, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    netcdf = copy / "data" / "dataset.nc"
    with xr.open_dataset(netcdf) as opened:
        data = opened.load()
    del data.attrs["time_coverage_start"]
    data.value_created_pv.attrs["units"] = "EUR"
    netcdf.unlink()
    data.to_netcdf(netcdf, engine="netcdf4")
    (copy / "MANIFEST.sha256").unlink()
    write_manifest(copy)  # as a package from a publisher that forgot them would be
    result = cli("alliance-verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    assert "time_coverage_start is missing (ACDD 1.3)" in result.stderr
    assert "value_created_pv has units 'EUR'" in result.stderr


def test_provenance_card_citation_and_datapackage(package):
    record = json.loads((package / "provenance" / "provenance.json").read_text())
    assert record["seeds"] == [4] and record["runs"] == 1
    assert record["calibrated_set"] == "default"
    assert record["git_commit_of_runs"] != ""
    assert record["commands"][0].startswith("alliance-run seed=4")
    configs = json.loads((package / "provenance" / "run_configs.json").read_text())
    assert configs[0]["run"] == {"seed": 4} and configs[0]["config"]["scenario"]["years"] == 4
    card = (package / "README.md").read_text()
    assert "| `premium_leverage` | view, measure | 1 |" in card
    assert "alliance-verify . --rerun" in card and "make run ARGS='seed=4" in card
    citation = (package / "CITATION.cff").read_text()
    assert "family-names: Lovelace" in citation and "type: dataset" in citation
    assert cff_problems(package / "CITATION.cff") == []
    described = json.loads((package / "datapackage.json").read_text())
    fields = described["resources"][0]["schema"]["fields"]
    header = (package / "tables" / "runs.csv").read_text().splitlines()[0].split(",")
    assert [f["name"] for f in fields] == header
    assert {"seed", "premium_leverage_causal_value", "value_created_pv_treated"} <= set(header)


def test_verify_passes_and_reproduces_the_run(package):
    result = cli("alliance-verify", str(package), "--rerun", cwd=package, env={"TQDM_DELAY": "0"})
    assert "re-running" in result.stderr  # the progress line
    assert result.returncode == 0, result.stderr
    assert "1 run(s) reproduced exactly" in result.stdout


@pytest.mark.parametrize("max_runs", ["0", "-1", "x"])
def test_verify_refuses_max_runs_below_one(package, max_runs):
    result = cli("alliance-verify", str(package), "--rerun", "--max-runs", max_runs, cwd=package)
    assert result.returncode == 2
    assert "--max-runs" in result.stderr and ">= 1" in result.stderr


@pytest.mark.parametrize("name", ["data/dataset.nc", "tables/runs.csv"])
def test_one_changed_byte_fails_verify_with_the_files_name(package, tmp_path, name):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(package), str(copy)], check=True)
    target = copy / name
    content = bytearray(target.read_bytes())
    middle = len(content) // 2
    content[middle] = (content[middle] + 1) % 256
    target.write_bytes(bytes(content))
    result = cli("alliance-verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    assert f"modified: {name}" in result.stderr


def test_a_changed_number_fails_the_rerun(package, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(package), str(copy)], check=True)
    stored = json.loads((copy / "provenance" / "run_configs.json").read_text())
    stored[0]["config"]["seed"] = 5  # the data no longer come from this config
    (copy / "provenance" / "run_configs.json").write_text(json.dumps(stored))
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from experiments.publish.manifest import write_manifest as w; "
            f"from pathlib import Path; w(Path({str(copy)!r}))",
        ],
        check=True,
    )
    result = cli("alliance-verify", str(copy), "--rerun", cwd=tmp_path)
    assert result.returncode == 1
    assert "run seed=4: value_created differs" in result.stderr


def test_same_config_and_seed_give_identical_data_files(package, tmp_path):
    dataset = simulate(tmp_path / "again", "seed=4")
    result = cli(
        "alliance-publish", str(dataset), str(tmp_path / "package"), *METADATA, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    first, second = data_checksums(package), data_checksums(tmp_path / "package")
    assert first == second and len(first) == 3  # the NetCDF, the zipped Zarr, runs.csv
    # The metadata carry the publication time, so they may differ; the data may not.
    assert "published" in json.loads((package / "provenance" / "provenance.json").read_text())


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (["title=T", "license=CC-BY-5.0", METADATA[1]], "license = 'CC-BY-5.0'"),
        ([METADATA[1]], "title is missing"),
    ],
)
def test_bad_metadata_fails_before_anything_is_written(package, tmp_path, metadata, message):
    dataset = package / "data" / "dataset.nc"
    result = cli("alliance-publish", str(dataset), str(tmp_path / "out"), *metadata, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_package_is_never_overwritten(package, tmp_path):
    before = data_checksums(package)
    result = cli(
        "alliance-publish",
        str(package / "data" / "dataset.nc"),
        str(package),
        *METADATA,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "is not empty" in result.stderr
    assert data_checksums(package) == before


def test_a_merged_sweep_publishes_and_reproduces(tmp_path):
    run = small_sweep(tmp_path / "sweep", "fund/strategy=none,uniform", "seed=0,1")
    assert run.returncode == 0, run.stderr
    assert cli("alliance-collect", str(tmp_path / "sweep"), cwd=tmp_path).returncode == 0
    merged = tmp_path / "sweep" / "collected.nc"
    result = cli(
        "alliance-publish", str(merged), str(tmp_path / "package"), *METADATA, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    package = tmp_path / "package"
    configs = json.loads((package / "provenance" / "run_configs.json").read_text())
    assert [c["run"] for c in configs] == [
        {"strategy": s, "seed": n} for s in ("none", "uniform") for n in (0, 1)
    ]
    arms = (package / "tables" / "arms.csv").read_text()
    assert arms.startswith("arm,seeds,extra_value_meur") and "uniform" in arms
    with xr.open_dataset(package / "data" / "collected.nc") as data:
        assert data.sizes["strategy"] == 2 and data.sizes["seed"] == 2
        assert data.strategy.attrs["description"] == "Swept override fund/strategy"
    verify = cli("alliance-verify", str(package), "--rerun", "--max-runs", "2", cwd=tmp_path)
    assert verify.returncode == 0, verify.stderr
    assert "2 run(s) reproduced exactly" in verify.stdout


def test_a_dataset_without_descriptions_is_refused(package, tmp_path):
    with xr.open_dataset(package / "data" / "dataset.nc") as opened:
        data = opened.load()
    del data.trust.attrs["description"]
    data.to_netcdf(tmp_path / "old.nc", engine="netcdf4")
    result = cli(
        "alliance-publish", str(tmp_path / "old.nc"), str(tmp_path / "out"), *METADATA, cwd=tmp_path
    )
    assert result.returncode == 2 and "without units or description: trust" in result.stderr
    assert not (tmp_path / "out").exists()


def offline_validation(crate: Path, profile: str) -> list[str]:
    """roc-validator's REQUIRED issues for `profile`, the RO-Crate JSON-LD context served
    from the rocrate package's bundled copy (1.3, a superset of 1.1's terms): these
    machines have no internet, and the validator fetches the context."""
    import rocrate
    from rocrate_validator import models, services
    from rocrate_validator.utils import http

    bundled = json.loads((Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld").read_text())

    class Context:
        status_code = 200
        headers: ClassVar[dict[str, str]] = {"Content-Type": "application/ld+json"}
        text = json.dumps({"@context": bundled["@context"]})
        content = text.encode()

        def json(self):
            return json.loads(self.text)

    def get(self, url, *args, **kwargs):
        if "w3id.org/ro/crate/" in str(url) and str(url).rstrip("/").endswith("context"):
            return Context()
        return self.session.get(url, *args, **kwargs)

    http.HttpRequester.get = get
    try:
        settings = services.ValidationSettings(
            rocrate_uri=str(crate),
            profile_identifier=profile,
            requirement_severity=models.Severity.REQUIRED,
        )
        result = services.validate(settings)
    finally:
        del http.HttpRequester.get
    return [issue.message for issue in result.get_issues()]


# rdflib, under roc-validator, warns about its own ConjunctiveGraph: not ours to fix.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("profile", ["ro-crate-1.1", "process-run-crate-0.5"])
def test_the_ro_crate_validates_against_ro_crate_and_process_run_crate(package, profile):
    assert offline_validation(package, profile) == []
    crate = json.loads((package / "ro-crate-metadata.json").read_text())
    actions = [e for e in crate["@graph"] if e.get("@type") == "CreateAction"]
    assert len(actions) == 1  # one run
    action = actions[0]
    assert action["instrument"]["@id"] == "#alliance-premium"
    assert {"@id": "provenance/run_configs.json"} in action["object"]
    assert {"@id": "data/dataset.nc"} in action["result"]


def test_datacite_metadata_has_every_mandatory_property(package):
    from datacite import schema45

    record = json.loads((package / "datacite.json").read_text())
    assert schema45.validate(record)
    assert record["types"]["resourceTypeGeneral"] == "Dataset"
    assert record["creators"][0]["familyName"] == "Lovelace"
    assert record["alternateIdentifiers"][0]["alternateIdentifier"].startswith("alliance-premium-")


def test_verify_names_a_crate_that_lost_a_run(package, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    crate = json.loads((copy / "ro-crate-metadata.json").read_text())
    crate["@graph"] = [e for e in crate["@graph"] if e.get("@type") != "CreateAction"]
    (copy / "ro-crate-metadata.json").write_text(json.dumps(crate))
    (copy / "MANIFEST.sha256").unlink()
    write_manifest(copy)
    result = cli("alliance-verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    assert "the crate holds 0 CreateAction(s) for 1 stored run(s)" in result.stderr


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_the_validator_flags_a_crate_without_the_profile(package, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    crate = json.loads((copy / "ro-crate-metadata.json").read_text())
    for entity in crate["@graph"]:
        if entity.get("@id") == "./":
            del entity["conformsTo"]
    (copy / "ro-crate-metadata.json").write_text(json.dumps(crate))
    issues = offline_validation(copy, "process-run-crate-0.5")
    assert any("conformsTo" in issue or "versioned permalink" in issue for issue in issues)


def tampered_copy(package: Path, tmp_path: Path, name: str, change) -> Path:
    """A copy of the package with `change(bytes) -> bytes` applied to one file, re-manifested."""
    copy = tmp_path / "tampered"
    shutil.copytree(package, copy)
    target = copy / name
    target.write_bytes(change(target.read_bytes()))
    write_manifest(copy)
    return copy


def test_a_changed_table_figure_fails_verify_even_with_a_new_manifest(package, tmp_path):
    def change_headline(content: bytes) -> bytes:
        header, row, *rest = content.decode().splitlines(keepends=True)
        cells = row.split(",")
        cells[-1] = "12.6\n"
        return "".join([header, ",".join(cells), *rest]).encode()

    copy = tampered_copy(package, tmp_path, "tables/runs.csv", change_headline)
    result = cli("alliance-verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "tables/runs.csv does not match the data" in lines[0]
    assert "row 1, column" in lines[0] and "'12.6'" in lines[0]


def test_a_table_the_data_do_not_give_fails_verify(package, tmp_path):
    copy = tampered_copy(package, tmp_path, "tables/runs.csv", lambda content: content)
    (copy / "tables" / "arms.csv").write_text("arm,seeds\nuniform,9\n")
    write_manifest(copy)
    result = cli("alliance-verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    assert "tables/arms.csv: not a table the data give" in result.stderr


@pytest.mark.parametrize("where", [0.01, 0.3, 0.5, 0.9])
def test_a_flipped_byte_in_the_zipped_zarr_is_one_line(package, tmp_path, where):
    def flip(content: bytes) -> bytes:
        changed = bytearray(content)
        changed[int(len(changed) * where)] ^= 0xFF
        return bytes(changed)

    copy = tampered_copy(package, tmp_path, "data/dataset.zarr.zip", flip)
    result = cli("alliance-verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("alliance-verify: cannot read data/dataset.zarr.zip: BadZipFile")


def test_a_manifest_reaching_outside_the_package_fails_verify(package, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    with (copy / "MANIFEST.sha256").open("a") as file:
        file.write(f"{sha256(secret)}  ../secret.txt\n")
    result = cli("alliance-verify", str(copy), "--rerun", cwd=tmp_path)
    assert result.returncode == 1
    assert "outside the package: ../secret.txt" in result.stderr
    assert "every file matches" not in result.stdout


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("titl=x", "titl is not a key; did you mean title?"),
        ("title=[1", "invalid override 'title=[1'"),
        ("keywords=3", "keywords = 3"),
    ],
)
def test_bad_metadata_overrides_are_one_line(package, tmp_path, override, words):
    dataset = package / "data" / "dataset.nc"
    result = cli(
        "alliance-publish", str(dataset), str(tmp_path / "out"), *METADATA, override, cwd=tmp_path
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_verify_refuses_what_is_not_a_package_in_one_line(tmp_path):
    missing = cli("alliance-verify", str(tmp_path / "nothing"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    write_manifest(tmp_path / "empty")
    empty = cli("alliance-verify", str(tmp_path / "empty"), cwd=tmp_path)
    assert empty.returncode == 1
    assert empty.stderr.strip().splitlines() == [
        f"alliance-verify: expected one .nc and one .zarr.zip in {tmp_path / 'empty' / 'data'}"
    ]


ZENODO_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "zenodo-deposit.schema.json").read_text()
)


def zenodo_schema_problems(record: dict) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(ZENODO_SCHEMA)
    return [error.message for error in validator.iter_errors(record)]


def test_the_zenodo_deposit_metadata_validates_and_is_in_the_manifest(package):
    record = json.loads((package / ".zenodo.json").read_text())
    assert zenodo_schema_problems(record) == []
    assert record["upload_type"] == "dataset" and record["access_right"] == "open"
    assert record["title"] == "Alliance premium test data" and record["license"] == "CC-BY-4.0"
    assert record["creators"] == [{"name": "Lovelace, Ada", "affiliation": "Le RAMEAU"}]
    assert record["version"] == "1.0" and "SDG 17" in record["keywords"]
    assert any("deux fois plus frugal" in r for r in record["references"])
    assert any(r.startswith("docs/sources.md of alliance-premium") for r in record["references"])
    assert "  .zenodo.json\n" in (package / "MANIFEST.sha256").read_text()


def test_the_zenodo_schema_refuses_what_zenodo_refuses(package):
    record = json.loads((package / ".zenodo.json").read_text())
    del record["license"]  # an open deposit needs one
    assert zenodo_schema_problems(record)
    assert zenodo_schema_problems({**record, "license": "CC-BY-4.0", "upload_typ": "x"})
    assert zenodo_schema_problems({**record, "license": "CC-BY-4.0", "upload_type": "data"})


def test_a_zenodo_metadata_without_a_mandatory_field_fails_verify(package, tmp_path):
    def without_creators(text: bytes) -> bytes:
        record = json.loads(text)
        del record["creators"]
        return json.dumps(record).encode()

    copy = tampered_copy(package, tmp_path, ".zenodo.json", without_creators)
    result = cli("alliance-verify", str(copy), cwd=tmp_path)
    assert result.returncode == 1
    assert "alliance-verify: .zenodo.json has no creators" in result.stderr


def test_the_package_cites_the_sources_in_the_repository(package):
    sources = Path(__file__).parents[1] / "docs" / "sources.md"
    assert (package / "provenance" / "sources.md").read_text() == sources.read_text()
    card = (package / "README.md").read_text()
    assert "docs/sources.md of alliance-premium" in card
    with xr.open_dataset(package / "data" / "dataset.nc") as data:
        references = data.attrs["references"]
    assert "docs/sources.md" in references
    # The package's own words name no path outside the repository (the calibration
    # targets' sources are quoted as configs/calibration/targets.yaml gives them).
    for text in (card, references):
        for quoted in target_sources():
            text = text.replace(quoted, "")
        assert "SOURCES.md" not in text
    crate = {
        e["@id"]: e for e in json.loads((package / "ro-crate-metadata.json").read_text())["@graph"]
    }
    assert crate["./"]["citation"] == {"@id": "#model-sources"}
    assert crate["provenance/sources.md"]["isBasedOn"] == {"@id": "#model-sources"}
    datacite = json.loads((package / "datacite.json").read_text())
    assert any("docs/sources.md" in d["description"] for d in datacite["descriptions"])


def test_a_file_or_a_link_as_the_package_folder_is_refused_in_one_line(tmp_path):
    """Issue 26 E5: as alliance-report does, one line and nothing touched."""
    (tmp_path / "dataset.nc").write_text("not read: the folder is refused first")
    (tmp_path / "notes.md").write_text("notes")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    for target, words in (("notes.md", "is a file"), ("link", "is a symbolic link")):
        result = cli("alliance-publish", "dataset.nc", target, *METADATA, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
        assert "allowed: a new folder or an empty one" in result.stderr
    assert (tmp_path / "notes.md").read_text() == "notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dataset.nc",
        "elsewhere",
        "link",
        "notes.md",
    ]
