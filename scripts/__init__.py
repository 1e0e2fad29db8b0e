"""Scripts that redraw the documentation's generated parts (not part of the installed package)."""
