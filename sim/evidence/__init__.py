"""Evidence: the runs compared with what was observed, calibration of a scenario's uncertain
inputs to its observations, backtests and runs from a posterior (docs/evidence.md).

``sim.check(results)`` (``sim.evidence.check.check``) gives, per observed point, the runs'
spread that day, the observation's percentile among the runs and a verdict. It reads results
only: the engine records the observed levels and flows in every run
(``sim.scenario.model.Observation``).

``sim.evidence.calibrate`` and ``sim.evidence.backtest`` call the runner with given inputs per
run (``sim.run(..., inputs=...)``), one vectorised batch of runs per sampler generation; nothing
in the engine knows it is being calibrated.
"""
