"""What stockpile accepts: every limit on input and work in one place (``docs/limits.md``).

Hard limits are refused always: beyond them a number cannot be stored or computed correctly.
Work limits (``sim.guard``) are refused unless the user asks for a large run (``--allow-large``).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

# -- dates and times (hard) ------------------------------------------------------------------

#: Every date a scenario names (start, end, milestones, tranches, deadlines) lies within these:
#: from the first whole year of the Gregorian calendar (results.nc dates are Gregorian) to the
#: last date a YAML date can name, 8,400 years at day resolution.
FIRST_DATE = dt.date(1583, 1, 1)
LAST_DATE = dt.date(9999, 12, 31)
#: Results store times as datetime64 in seconds (nanoseconds would stop in 2262).
DATE_UNIT: Final = "s"
DATETIME: Final = f"datetime64[{DATE_UNIT}]"
#: The longest horizon and the longest fixed duration, in days.
MAX_DAYS = float((LAST_DATE - FIRST_DATE).days)
#: The finest step of ``every`` and ``report_every``: one second, in days.
MIN_STEP_DAYS = 1 / 86_400

# -- numbers (hard) --------------------------------------------------------------------------

#: The largest quantity: a stock, a tranche, a rate's amount, a rate over the whole horizon,
#: and the far tails of a distribution (one draw in a billion). Counts stay exact in float64
#: and far below int64, in which losses are drawn.
MAX_QUANTITY = 1e15
#: The range of an item's price per unit, at every day of the horizon (after escalation): a
#: price must be > 0 to convert money into units, and values (units x price) stay finite.
#: An item whose amounts in money reach ``M`` costs at least ``M / MAX_QUANTITY`` a unit, so
#: no amount in money buys more than the largest quantity.
MIN_PRICE = 1e-9
MAX_PRICE = MAX_QUANTITY
#: How far into a distribution's tails the limit applies: the quantiles TAIL and 1 - TAIL.
TAIL = 1e-9
#: Seeds are stored as 64-bit integers in results.nc.
MAX_SEED = 2**63 - 1
MAX_RUNS = 10**9

#: Variants of one sweep (each is a whole run of the scenario): a grid ``A..B:N`` and the
#: product of two grids are refused beyond it before anything is allocated or run.
MAX_VARIANTS = 10_000

# -- input (hard) ----------------------------------------------------------------------------

#: A scenario file is a regular file of at most this many bytes.
MAX_FILE_BYTES = 10 * 2**20
#: YAML values a document may expand to (aliases included), and its deepest nesting.
MAX_NODES = 1_000_000
MAX_DEPTH = 32

#: Text a person reads on a chart or slide: a label (holder, item), a title, a description, a
#: source (and how many sources). Longer text is a pasted file, not a label, and would make
#: every chart lay out megabytes of glyphs.
MAX_LABEL_CHARS = 200
MAX_NAME_CHARS = 500
MAX_DESCRIPTION_CHARS = 10_000
MAX_SOURCE_CHARS = 2_000
MAX_SOURCES = 500

# -- work (lifted by --allow-large) ----------------------------------------------------------

#: Memory the stored series and per-run arrays of a run may take.
MAX_MEMORY_BYTES = 16 * 2**30
#: Values of the level and flow series written to results.nc (before compression).
MAX_OUTPUT_VALUES = 4 * 10**9
#: Events on one run's time line (actions of every process plus reported times).
MAX_EVENTS = 2_000_000
#: Runs times events: the work of the whole run (one million runs of the 12-item benchmark
#: scenario is about 2e10 and takes about 7 minutes on 2 cores).
MAX_WORK = 10**12
