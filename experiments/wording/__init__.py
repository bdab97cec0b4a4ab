"""Words for readers: numbers, names and terms as a board reads them.

- `formats`: money, ratios, shares and ranges written for a reader (MEUR with one
  decimal, percentages, no `nan`);
- `names`: configuration keys in words, with their units, from the schema;
- `glossary`: the terms the report and the explorer explain (net social benefit,
  CVaR, EVPI, PRIM, ...).

The appraisal's verdicts, the report, the explorer and a run's summary all word
their figures here, so the same number reads the same everywhere.
"""
