"""Calibrating the model and checking the calibration (`calibration` holds the method).

- `calibrate`: `alliance-calibrate`; `calibration_report`: its calibrated set, posterior
  draws and report (`docs/calibration/`);
- `coverage`, `predictive`, `patterns`: checks of the posterior and of the calibrated
  set (simulation-based calibration, posterior predictive, held-out patterns);
- `causal_sensitivity`, `sensitivity`: what drives the answer, over posterior draws and
  over the calibrated parameters' bounds (SALib).

The checks run as `python -m experiments.calibrating.<module>`.
"""
