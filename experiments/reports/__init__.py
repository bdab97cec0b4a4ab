"""The pages a reader gets: the strategy report, the sensitivity report, a run's summary.

- `report`: `alliance-report`, the strategy comparison; `report_text`: its words and
  tables; `sensitivity_report`: the report of a sensitivity sweep;
- `summary`: the plain-text summary `alliance-run` prints for one run;
- `html`, `formats`, `glossary`, `names`: self-contained HTML pages, numbers as a board
  reads them, the glossary, human names for configuration keys.
"""
