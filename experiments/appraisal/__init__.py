"""Appraisal of fund strategies from a merged sweep: value for money under uncertainty.

Pure functions of an `xarray.Dataset` (a merged sweep from `alliance-collect`) that
return tables or datasets, for a notebook as for `alliance-report`:

- `states`: arms and states of the world; per-run value-for-money quantities;
- `value_map`: per arm, each quantity with its interval over the states;
- `robustness`: probability of being best, regret, satisficing, CVaR, the
  acceptability curve, and a recommended robust arm;
- `switching`: switching values of the uncertain parameters, against every other arm;
- `budget_map`: the best arm as a function of the budget and of one parameter;
- `discovery`: PRIM boxes where the recommended arm loses;
- `voi`: expected value of perfect (and partial perfect) information.
"""
