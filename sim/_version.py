"""The installed package version, recorded in every output."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stockpile")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
