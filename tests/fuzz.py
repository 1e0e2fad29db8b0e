"""A seeded generator of broken scenario files, mutated from the flagships, and the check that
`stockpile validate` and `stockpile run` answer each with exit 0 or a located refusal.

``tests/test_fuzz.py`` runs a fixed sample in the suite. To search more cases by hand::

    python tests/fuzz.py --cases 2000 --seed 7

prints the counts (tried, refused, ran, crashed) and every crash with the file that caused it.
``python tests/fuzz.py --results --cases 100`` runs damaged results files (attributes removed,
zero runs, a variable dropped, foreign NetCDF or HDF5, changed bytes) through every reading
command instead.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import re
import resource
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIPS = sorted((ROOT / "scenarios").glob("*.yaml"))
#: Seconds a case may take before it counts as a hang (a bound against runaway work, far above
#: the second or two a case takes: not a performance target).
HANG_SECONDS = 120
#: Every line a refusal prints names the file and the line: ``s.yaml:12: path: message``.
LOCATED = re.compile(r"^(warning: )?s\.yaml:\d+: \S")
#: Runs of a fuzzed scenario: enough to exercise the Monte Carlo path, few enough to be quick.
RUNS = "3"

NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?(?![\w-])")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
VALUE = re.compile(r"^(\s*[\w-]+:)[ \t]+(\S.*)$", re.M)
DISTRIBUTION = re.compile(r"\b(?:normal|lognormal|pert|triangular|uniform|beta)\([^)]*\)")

EXTREME_NUMBERS = [
    "1e308", "-1e308", "1e16", "1e15", "-1", "0", "1e-320", ".nan", ".inf", "-.inf", "nan",
    "9223372036854775808", str(2**200), "0x10", "1_000", "'12'", "1e6 y", "0.0001 d",
]  # fmt: skip
EXTREME_DATES = [
    "0001-01-01", "9999-12-31", "2023-02-30", "1677-09-20", "2262-04-12", "2024-13-01",
    "20240101", "2024-01-01T25:00", "1e9", "-2024-01-01", "1582-12-31", "1583-01-01",
    "3025-01-01", "+1000y", "+8000y",
]  # fmt: skip
STRANGE_VALUES = [
    "[1, 2]", "{a: 1}", "null", "~", "true", "''", "-", "!!binary aGk=", "&x 1", "*nope",
    "!!python/object:os.system ls", "'\\x00'", '"\\x01"', "[" * 40 + "1" + "]" * 40,
    "{" * 5000 + "}" * 5000, "1 to", "to 3", "3 to 1", "5 to 5 to 5",
]  # fmt: skip
STRANGE_DISTRIBUTIONS = [
    "'normal(1e308, 1e308)'", "'pert(5, 1, 3)'", "'uniform(nan, 1)'", "'beta(0, 0)'",
    "'lognormal(1e3, 1e3)'", "'triangular(1, 1, 1)'", "'normal(0, -1)'", "'pert(1, 2)'",
    "'uniform(1e15, 1e16)'", "'beta(1e-9, 1e9)'",
]  # fmt: skip
ALIAS_BOMB = "bomb: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"b{n}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for n, (p, c) in enumerate(zip("abcdefgh", "bcdefghi", strict=True))
)


# -- mutations: text -> text or bytes ----------------------------------------------------------


def _replace_one(text: str, pattern: re.Pattern[str], rng: random.Random, new: str) -> str:
    found = list(pattern.finditer(text))
    if not found:
        return text
    hit = rng.choice(found)
    group = hit.lastindex or 0
    return text[: hit.start(group)] + new + text[hit.end(group) :]


def extreme_number(text: str, rng: random.Random) -> str:
    return _replace_one(text, NUMBER, rng, rng.choice(EXTREME_NUMBERS))


def extreme_date(text: str, rng: random.Random) -> str:
    return _replace_one(text, DATE, rng, rng.choice(EXTREME_DATES))


def strange_value(text: str, rng: random.Random) -> str:
    return _replace_one(text, VALUE, rng, rng.choice(STRANGE_VALUES))


def strange_distribution(text: str, rng: random.Random) -> str:
    if DISTRIBUTION.search(text) and rng.random() < 0.5:
        return _replace_one(text, DISTRIBUTION, rng, rng.choice(STRANGE_DISTRIBUTIONS)[1:-1])
    return _replace_one(text, VALUE, rng, rng.choice(STRANGE_DISTRIBUTIONS))


def delete_line(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    del lines[rng.randrange(len(lines))]
    return "".join(lines)


def delete_section(text: str, rng: random.Random) -> str:
    """A top-level key with everything under it."""
    sections = [m.start() for m in re.finditer(r"^\w", text, re.M)] + [len(text)]
    k = rng.randrange(len(sections) - 1)
    return text[: sections[k]] + text[sections[k + 1] :]


def duplicate_line(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    k = rng.randrange(len(lines))
    lines.insert(k, lines[k])
    return "".join(lines)


def shift_indent(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    k = rng.randrange(len(lines))
    lines[k] = rng.choice(["  ", " ", "\t", ""]) + lines[k].lstrip(" ") * rng.choice([0, 1])
    return "".join(lines) if lines[k] else "".join(lines[:k] + lines[k + 1 :])


def truncate(text: str, rng: random.Random) -> str:
    return text[: rng.randrange(len(text))]


def control_character(text: str, rng: random.Random) -> str:
    k = rng.randrange(len(text))
    return text[:k] + rng.choice(["\0", "\x01", "\x1b", "\x7f", "\x85", "\ufeff"]) + text[k:]


def deep_nesting(text: str, rng: random.Random) -> str:
    depth = rng.choice([31, 33, 200, 20_000])
    return _replace_one(text, VALUE, rng, "[" * depth + "1" + "]" * depth)


def alias(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return ALIAS_BOMB + text
    text = _replace_one(text, VALUE, rng, "&anchor " + rng.choice(["1", "[1]", "{a: 1}"]))
    return _replace_one(text, VALUE, rng, rng.choice(["*anchor", "*missing", "{<<: *anchor}"]))


def encoding(text: str, rng: random.Random) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))
    if choice == 1:  # Latin-1 bytes where UTF-8 is expected
        return ("# Défense\n" + text).encode("latin-1", "replace")
    if choice == 2:  # a multi-byte character cut in half
        data = ("# — \n" + text).encode()
        cut = data.index("—".encode()) + 1
        return data[:cut] + data[cut + 1 :]
    if choice == 3:
        return b"\xef\xbb\xbf" + text.encode()  # a byte order mark: fine
    data = bytearray(text.encode())
    data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


MUTATIONS: list[Callable[[str, random.Random], str | bytes]] = [
    extreme_number, extreme_number, extreme_date, strange_value, strange_value,
    strange_distribution, delete_line, delete_section, duplicate_line, shift_indent, truncate,
    control_character, deep_nesting, alias, encoding,
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes


def cases(count: int, seed: int) -> Iterator[Case]:
    """``count`` broken files, one to three mutations each, the same for the same seed."""
    rng = random.Random(seed)
    texts = {path.stem: path.read_text() for path in FLAGSHIPS}
    for n in range(count):
        stem = rng.choice(sorted(texts))
        text: str | bytes = texts[stem]
        names = []
        for _ in range(rng.choice([1, 1, 2, 3])):
            if isinstance(text, bytes):
                break
            mutation = rng.choice(MUTATIONS)
            text = mutation(text, rng)
            names.append(mutation.__name__)
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        yield Case(f"{n}:{stem}:{'+'.join(names)}", data)


# -- the check ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    validate: int
    run: int | None  # None where validate refused it (run is tried, and must refuse too)
    defects: list[str]


class _Hang(Exception):
    pass


@contextlib.contextmanager
def _bounded(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise _Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _answer(args: list[str]) -> tuple[int, str, list[str]]:
    """Exit status, stderr and defects of one CLI call, in this process."""
    from sim.cli import main

    defects = []
    with warnings.catch_warnings(record=True) as caught, _bounded(HANG_SECONDS):
        warnings.simplefilter("always")
        try:
            result = CliRunner().invoke(main, args)
        except _Hang as hang:
            return -1, "", [str(hang)]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        defects.append(f"exception {result.exception!r}")
    defects += [f"Python warning: {w.message}" for w in caught]
    if result.exit_code not in (0, 2):
        defects.append(f"exit {result.exit_code}")
    stderr = result.stderr
    if "Traceback" in stderr or "please report" in stderr:
        defects.append("traceback or internal error on stderr")
    return result.exit_code, stderr, defects


def check(case: Case, folder: Path) -> Outcome:
    """Validate and run ``case`` in ``folder``: each answers 0 or 2, every message is located,
    a refusal writes nothing, and ``validate`` refuses what ``run`` refuses (``run`` is asked for
    few runs, so it may run what ``validate`` refuses for the file's many)."""
    scenario = folder / "s.yaml"
    scenario.write_bytes(case.data)
    out = folder / "out"
    with contextlib.chdir(folder):
        checked, checked_err, defects = _answer(["validate", "s.yaml"])
        ran, ran_err, run_defects = _answer(
            ["run", "s.yaml", "--runs", RUNS, "--no-charts", "--out", "out"]
        )
    defects += run_defects
    for line in (checked_err + ran_err).splitlines():
        if line.strip() and not LOCATED.match(line):
            defects.append(f"message without file:line: {line[:160]}")
    if ran == 2 and out.exists():
        defects.append("refused, yet an output folder was written")
    if ran == 0 and not (out / "results.nc").is_file():
        defects.append("exit 0 without results")
    if ran == 2 and checked == 0:
        defects.append("run refused what validate accepted")
    if out.exists():
        shutil.rmtree(out)
    return Outcome(case, checked, ran, defects)


# -- damaged results files through the reading commands ---------------------------------------

#: The commands that read a results file (``{f}`` the file, ``{d}`` a folder for outputs).
READERS = [
    ["chart", "{f}", "--out", "{d}/c.png"],
    ["chart", "{f}", "--kind", "fan", "--holder", "us", "--item", "shell_155",
     "--out", "{d}/f.png"],
    ["compare", "{f}", "{f}", "--out", "{d}/cmp.png"],
    ["explain", "{f}"],
    ["probability", "{f}", "--holder", "us", "--item", "shell_155", "--out", "{d}/p.png"],
    ["brief", "{f}", "--pptx", "{d}/b.pptx"],
    ["export", "{f}", "--xlsx", "{d}/e.xlsx"],
    ["check", "{f}", "--out", "{d}/chk"],
]  # fmt: skip
DAMAGES = ["no_attributes", "one_attribute", "zero_runs", "zero_times", "variable", "foreign",
           "phony", "bytes"]  # fmt: skip


def damaged_results(
    folder: Path, rng: random.Random, damage: str | None = None
) -> tuple[str, Path]:
    """A damaged results file in ``folder`` (the damage's name, the file): attributes removed,
    zero runs or times, a variable dropped, a foreign NetCDF or HDF5 file, bytes changed."""
    import h5py
    import numpy as np
    import xarray as xr
    from fake_results import fake_results

    path = folder / "results.nc"
    path.unlink(missing_ok=True)
    damage = damage or rng.choice(DAMAGES)
    data = fake_results(runs=rng.choice([1, 5]), seed=rng.randrange(100))
    if damage == "no_attributes":
        data.attrs = {}
    elif damage == "one_attribute":
        del data.attrs[rng.choice(sorted(data.attrs))]
    elif damage == "zero_runs":
        data = data.isel(run=slice(0, 0))
    elif damage == "zero_times":
        data = data.isel(time=slice(0, 0))
    elif damage == "variable":
        name = rng.choice(sorted(str(n) for n in data.variables))
        damage += f":{name}"
        data = data.drop_vars(name)
    elif damage == "foreign":
        data = xr.Dataset({"stock": (("x",), np.arange(3.0))}, attrs={"scenario": "x"})
    if damage == "phony":
        with h5py.File(path, "w") as file:
            file["values"] = np.arange(6.0).reshape(2, 3)
        return damage, path
    data.to_netcdf(path, engine="h5netcdf")
    if damage == "bytes":
        raw = bytearray(path.read_bytes())
        for _ in range(rng.choice([1, 10, 100])):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        path.write_bytes(bytes(raw))
    return damage, path


def check_results(damage: str, path: Path, reader: list[str]) -> list[str]:
    """Defects of one reading command on a damaged file: it must exit 0 or 2, with no
    traceback or Python warning, and a refusal in one line."""
    args = [a.format(f=path, d=path.parent) for a in reader]
    status, stderr, defects = _answer(args)
    if status == 2 and len(stderr.strip().splitlines()) != 1:
        defects.append(f"refusal not in one line: {stderr[:300]!r}")
    return [f"{damage}: {' '.join(reader[:1])}: {d}" for d in defects]


def peak_memory_bytes() -> int:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", type=Path, default=Path("fuzz-work"))
    parser.add_argument("--results", action="store_true", help="damaged results files instead")
    args = parser.parse_args()
    args.folder.mkdir(exist_ok=True)
    if args.results:
        sys.exit(_results_main(args.cases, args.seed, args.folder))
    counts = {"tried": 0, "refused": 0, "ran": 0, "crashed": 0}
    began = time.perf_counter()
    for case in cases(args.cases, args.seed):
        outcome = check(case, args.folder)
        counts["tried"] += 1
        if outcome.defects:
            counts["crashed"] += 1
            print(f"DEFECT {case.name}: {outcome.defects}")
            (args.folder / f"defect-{counts['tried']}.yaml").write_bytes(case.data)
        elif outcome.run == 2:
            counts["refused"] += 1
        else:
            counts["ran"] += 1
    seconds = time.perf_counter() - began
    print(counts, f"{seconds:.0f} s, peak memory {peak_memory_bytes() / 2**30:.2f} GiB")
    sys.exit(1 if counts["crashed"] else 0)


def _results_main(count: int, seed: int, folder: Path) -> int:
    rng = random.Random(seed)
    crashed = 0
    for _ in range(count):
        damage, path = damaged_results(folder, rng)
        for reader in READERS:
            for defect in check_results(damage, path, reader):
                crashed += 1
                print("DEFECT", defect)
    print({"files": count, "defects": crashed})
    return 1 if crashed else 0


if __name__ == "__main__":
    main()
