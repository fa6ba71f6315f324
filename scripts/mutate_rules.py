"""Mutation check over the rule functions: does a test fail when a rule's code is wrong?

    DINGDIAN_TESTING=1 DATABASE_URL=… .venv/bin/python scripts/mutate_rules.py [--only NAME]
                                                                          [--list]

For every function listed in TARGETS, each mutant changes one thing in the function's code:
a comparison flipped (< ↔ <=, > ↔ >=, == ↔ !=), `and` ↔ `or`, an integer constant ± 1, a
constant `return True/False` inverted, or the result of a `-> bool` function negated. The
mutant replaces the function's code object (`__code__`, so every `from … import` of it sees
the mutant) in a forked child that runs the test files mapped to that target with
`-x -q -p no:randomly --reuse-db -n 0`. A failing test kills the mutant; passing tests let it
survive. The script prints one line per mutant and the score, and exits 1 if any mutant
survived that is not listed in EQUIVALENT (with the reason it cannot be told apart).

Not part of `make test` (a few minutes): run it after changing a rule function or its tests.
No source file is written: the mutants live only in the child processes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import inspect
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# (dotted path of the function, the pytest arguments that select the tests covering it: test
# files, and "-k" with the rule IDs to keep a run short). A method is "module.Class.name".
_VALIDITY = [
    "tests/prescriptions/test_programme_validity.py",
    "tests/programmes/test_parameters.py",
]
_CALENDAR = ["tests/core/test_calendar.py"]
_DISPENSING = "tests/prescriptions/test_dispensing.py"
TARGETS: list[tuple[str, list[str]]] = [
    # HY-H01 / GY 五(三): programme validity
    ("programmes.models.Programme.is_in_force", [*_VALIDITY, "-k", "h01"]),
    ("programmes.services.programme_assert_in_force", [*_VALIDITY, "-k", "h01"]),
    # Counting periods (Civil Code arts. 201–203) and working days
    ("core.calendar.period_last_day", _CALENDAR),
    ("core.calendar.period_applies", _CALENDAR),
    ("core.calendar.add_months", _CALENDAR),
    ("core.calendar._days_in_month", _CALENDAR),
    ("core.calendar.WorkingCalendar.add_working_days", _CALENDAR),
    ("core.calendar.WorkingCalendar.working_days_between", _CALENDAR),
    ("core.calendar.WorkingCalendar.year_status", _CALENDAR),
    ("core.calendar.unconfirmed_year", _CALENDAR),
    # Pharmacy eligibility (HY-A…, GY-A…, HY-C05, HY-E10)
    *[
        (f"accreditation.eligibility.{name}", ["tests/accreditation/test_eligibility.py"])
        for name in (
            "premises",
            "gy_a02_lease",
            "gy_a05_catalogue_stocked",
            "monitoring",
            "licensed_pharmacists",
        )
    ],
    (
        "accreditation.eligibility.reapplication_ban",
        ["tests/accreditation/test_designation_lifecycle.py", "-k", "c05 or e10"],
    ),
    # Counter checks (HY-G05/G07/G08, HY-C06, GY-D02) and the quota period
    (
        "prescriptions.services.dispensing._eligibility",
        [_DISPENSING, "-k", "g05 or g07 or g08 or c06"],
    ),
    ("prescriptions.services.common.prescription_valid", [_DISPENSING, "-k", "d02"]),
    (
        "prescriptions.services.records._assert_retention_over",
        ["tests/prescriptions/test_records.py", "-k", "e03 or a08"],
    ),
    ("prescriptions.selectors.quota_period_bounds", [_DISPENSING, "-k", "g07"]),
    ("prescriptions.selectors.price_cap_of", [_DISPENSING, "-k", "b02"]),
    # HY 五(二) once a month (HY-E02), the reviewing pharmacist (HY-E01, GY-A04), HY-G05 choice,
    # soft conditions acknowledged at the pass (HY-C03), evidence at inspection (HY-A06/A07/E05)
    (
        "prescriptions.rules.prescription_in_use_within_month",
        ["tests/prescriptions/test_once_a_month.py"],
    ),
    ("prescriptions.rules.assert_once_a_month", ["tests/prescriptions/test_once_a_month.py"]),
    ("prescriptions.review._why_not", ["tests/prescriptions/test_review.py"]),
    ("prescriptions.review.video_checked", ["tests/prescriptions/test_review.py", "-k", "e03"]),
    (
        "patients.choice_rules.assert_pharmacy_designated",
        ["tests/patients/test_hy_g05_designated_choice.py"],
    ),
    (
        "accreditation.passing.check_conditions_for_pass",
        ["tests/accreditation/test_soft_conditions.py"],
    ),
    ("accreditation.evidence.check_evidence_for_pass", ["tests/accreditation/test_evidence.py"]),
]

# Mutants no test can kill because the mutated code behaves the same; key: "function#n".
EQUIVALENT: dict[str, str] = {
    "prescriptions.rules.prescription_in_use_within_month#1": (
        "the `- timedelta(days=1)` only widens a prefilter: every candidate is then checked with"
        " period_last_day, so a wider (2 days) window finds the same prescriptions"
    ),
    "prescriptions.rules.prescription_in_use_within_month#2": (
        "no prescription issued before add_months(issued_on, -months) has a period still running"
        " on issued_on (period_last_day of it is before issued_on), so the 1-day slack is unused"
    ),
    "programmes.services.programme_assert_in_force#4": (
        "`on >= valid_until` differs from `>` only on the last day, and a programme not in force"
        " on its last day is superseded (the branch above; valid_until > valid_from is validated)"
    ),
    "core.calendar._days_in_month#4": (
        "December's 31 is only used as min(start.day, 31): no day is greater than 31"
    ),
    "core.calendar.WorkingCalendar.working_days_between#1": (
        "end == start: the early return and the empty sum both give 0"
    ),
    "core.calendar.WorkingCalendar.year_status#2": (
        "a year the package does not know has no holidays and a known year always has some, so"
        " `known and days_off` and `known or days_off` agree"
    ),
}

PYTEST_ARGS = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--reuse-db", "-n", "0"]

_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}


@dataclass
class Mutant:
    target: str
    number: int
    line: int
    description: str
    function: ast.FunctionDef


def _resolve(dotted: str) -> tuple[Any, Callable[..., Any]]:
    """(module, function object) of "module.func" or "module.Class.method"."""
    import importlib

    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        obj: Any = module
        for name in parts[split:]:
            obj = inspect.getattr_static(obj, name) if isinstance(obj, type) else getattr(obj, name)
        return module, obj
    raise LookupError(dotted)


def _function_node(func: Callable[..., Any]) -> ast.FunctionDef:
    source = textwrap.dedent(inspect.getsource(func))
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    node.decorator_list = []
    ast.increment_lineno(node, func.__code__.co_firstlineno - 1)
    return node


def _body_nodes(function: ast.FunctionDef) -> Iterator[ast.AST]:
    """The nodes of the function's body (not its signature, not its docstring)."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    for statement in body:
        yield from ast.walk(statement)


def _sites(function: ast.FunctionDef) -> Iterator[tuple[int, str, Callable[[ast.AST], None]]]:
    """(index of the node in _body_nodes order, description, how to mutate that node)."""
    returns_bool = isinstance(function.returns, ast.Name) and function.returns.id == "bool"
    for index, node in enumerate(_body_nodes(function)):
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in _FLIP:
                    new = _FLIP[type(op)]

                    def flip(n: ast.AST, k: int = k, new: type[ast.cmpop] = new) -> None:
                        n.ops[k] = new()  # type: ignore[attr-defined]

                    yield index, f"{_op(op)} → {_op(new())}", flip
        elif isinstance(node, ast.BoolOp):
            other = ast.Or if isinstance(node.op, ast.And) else ast.And

            def swap(n: ast.AST, other: type[ast.boolop] = other) -> None:
                n.op = other()  # type: ignore[attr-defined]

            yield index, f"{_op(node.op)} → {_op(other())}", swap
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int)
            and not isinstance(node.value, bool)
        ):
            for delta in (1, -1):

                def shift(n: ast.AST, delta: int = delta) -> None:
                    n.value += delta  # type: ignore[attr-defined]

                yield index, f"{node.value} → {node.value + delta}", shift
        elif isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):

                def invert(n: ast.AST) -> None:
                    n.value.value = not n.value.value  # type: ignore[attr-defined]

                yield index, f"return {value.value} → return {not value.value}", invert
            elif returns_bool:

                def negate(n: ast.AST) -> None:
                    n.value = ast.UnaryOp(op=ast.Not(), operand=n.value)  # type: ignore[attr-defined]

                yield index, "return x → return not x", negate


def _op(op: ast.AST) -> str:
    return {
        ast.Lt: "<",
        ast.LtE: "<=",
        ast.Gt: ">",
        ast.GtE: ">=",
        ast.Eq: "==",
        ast.NotEq: "!=",
        ast.And: "and",
        ast.Or: "or",
    }[type(op)]


def mutants_of(target: str) -> list[Mutant]:
    _module, func = _resolve(target)
    original = _function_node(func)
    found = []
    for number, (index, description, mutate) in enumerate(_sites(original), start=1):
        mutated = copy.deepcopy(original)
        node = list(_body_nodes(mutated))[index]
        mutate(node)
        ast.fix_missing_locations(mutated)
        found.append(Mutant(target, number, getattr(node, "lineno", 0), description, mutated))
    return found


def _install(mutant: Mutant) -> None:
    """Give the function the mutant's code (in this process only)."""
    module, func = _resolve(mutant.target)
    future = ast.ImportFrom(module="__future__", names=[ast.alias("annotations")], level=0)
    tree = ast.Module(body=[future, mutant.function], type_ignores=[])
    ast.fix_missing_locations(tree)
    namespace: dict[str, Any] = dict(vars(module))
    exec(compile(tree, inspect.getfile(func), "exec"), namespace)  # noqa: S102
    func.__code__ = namespace[mutant.function.name].__code__


TESTS_FAILED = 1  # pytest's exit code when a test failed
INSTALL_FAILED = 99


def _run(mutant: Mutant | None, tests: list[str]) -> int:
    """pytest's exit code for the mapped tests, run in a forked child against the mutant
    (None: the original code). The parent imported Django, pytest and the test modules, so a
    child only collects and runs."""
    pid = os.fork()
    if pid == 0:
        code = INSTALL_FAILED
        try:
            import pytest

            if mutant is not None:
                _install(mutant)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = int(pytest.main([*PYTEST_ARGS, *tests]))
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _preimport(tests: set[str]) -> None:
    """Import the conftests and test modules once, before forking."""
    import importlib

    import pytest  # noqa: F401

    modules = {"tests.conftest"}
    for test in tests:
        path = Path(test).with_suffix("")
        modules.add(".".join(path.parts))
        for parent in path.parents:
            if (ROOT / parent / "conftest.py").exists():
                modules.add(".".join((parent / "conftest").parts))
    for name in sorted(modules):
        importlib.import_module(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="only targets whose path contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    os.environ.setdefault("DINGDIAN_TESTING", "1")
    import django

    django.setup()
    started = time.monotonic()
    targets = [(t, tests) for t, tests in TARGETS if not args.only or args.only in t]
    if not args.list:
        _preimport({test for _t, tests in targets for test in tests if test.endswith(".py")})
        for selection in sorted({tuple(tests) for _t, tests in targets}):
            if _run(None, list(selection)) != 0:
                print(f"the tests fail without any mutant: {' '.join(selection)}")
                return 2
    killed = survived = equivalent = 0
    for target, tests in targets:
        for mutant in mutants_of(target):
            key = f"{target}#{mutant.number}"
            where = f"{key} (line {mutant.line}: {mutant.description})"
            if args.list:
                print(where)
                continue
            code = _run(mutant, tests)
            if code not in (0, TESTS_FAILED):
                print(f"error {code} {where}: the mutant did not run", flush=True)
                return 2
            if code == TESTS_FAILED:
                killed += 1
                print(f"killed    {where}", flush=True)
            elif key in EQUIVALENT:
                equivalent += 1
                print(f"equivalent {where}: {EQUIVALENT[key]}", flush=True)
            else:
                survived += 1
                print(f"SURVIVED  {where}", flush=True)
    if args.list:
        return 0
    total = killed + survived
    score = f"{killed}/{total}" if total else "0/0"
    print(
        f"\nmutation score: {score} killed, {survived} survived, {equivalent} equivalent "
        f"(excluded from the score), {time.monotonic() - started:.0f} s"
    )
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
