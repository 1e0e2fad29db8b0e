"""Evidence: the runs compared with what was observed (docs/evidence.md).

``sim.check(results)`` (``sim.evidence.check.check``) gives, per observed point, the runs'
spread that day, the observation's percentile among the runs and a verdict. It reads results
only: the engine records the observed levels and flows in every run
(``sim.scenario.model.Observation``).
"""
