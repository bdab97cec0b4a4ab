"""Calibration of the alliance-premium model by the method of simulated moments."""
