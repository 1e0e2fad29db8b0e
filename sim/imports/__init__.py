"""Readers of public datasets that print scenario fragments (``stockpile import``).

One module per source, each turning a file into a ``Fragment`` of the scenario language:
``oryx`` (Oryx-derived loss logs -> ``observations`` of ``lost``), ``kiel`` and ``kiel_sheet``
(the Kiel Ukraine Support Tracker -> ``observations`` of ``sent`` or ``deliveries``),
``drawdowns`` (US drawdown notices -> ``deliveries`` in money). ``common`` reads tables with
their line numbers and reports problems located by file and line; ``fragment`` writes fragments
as YAML (with comments) or CSV.

An edge of the package, like ``sim.cli`` and ``sim.plots``: nothing in the core imports it.
"""
