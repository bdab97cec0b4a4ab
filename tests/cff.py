"""Validation of CITATION.cff files against the Citation File Format 1.2.0 schema.

The schema (`tests/data/cff-1.2.0.schema.json`) is the one published at
https://citation-file-format.github.io/1.2.0/schema.json (CC-BY-4.0), as shipped
inside cffconvert 2.0.0 (`cffconvert/schemas/1.2.0/schema.json`). It is vendored so
the check runs offline; cffconvert itself is not a dependency because it pins
jsonschema below 4, which conflicts with the RO-Crate validator.
"""

import json
from pathlib import Path

import jsonschema
import yaml

SCHEMA = json.loads((Path(__file__).parent / "data" / "cff-1.2.0.schema.json").read_text())


def cff_problems(path: Path) -> list[str]:
    """Every way the file departs from CFF 1.2.0, as one line each (empty when valid)."""
    # An unquoted date reads as a date; the schema checks its text, so give it back as text.
    document = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=str)
    ]
