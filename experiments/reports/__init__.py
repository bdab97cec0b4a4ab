"""The pages a reader gets: the strategy report, the sensitivity report, a run's summary.

- `report`: `alliance-report`, the strategy comparison; `report_text`: its words and
  tables; `sensitivity_report`: the report of a sensitivity sweep;
- `summary`: the plain-text summary `alliance-run` prints for one run;
- `html`: self-contained HTML pages (and their PDF).

Numbers, names and terms are worded by `experiments.wording`.
"""
