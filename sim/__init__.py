"""stockpile: how fast military stocks drain and refill, with the uncertainty shown."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stockpile")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
