"""File formats of the outputs, in one light place (the CLI needs them without matplotlib)."""

#: Formats charts are written in (the file suffix without its dot).
CHART_FORMATS = ("png", "svg", "pdf")
