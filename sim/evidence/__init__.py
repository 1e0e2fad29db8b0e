"""Evidence: calibration of a scenario's uncertain inputs to its observations, backtests and
runs from a posterior (docs/evidence.md).

``sim.evidence.calibrate`` and ``sim.evidence.backtest`` call the runner with given inputs per
run (``sim.run(..., inputs=...)``), one vectorised batch of runs per sampler generation; nothing
in the engine knows it is being calibrated.
"""
