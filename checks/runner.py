"""The runner: every selected check, each as soon as the checks it requires have finished, on a
thread pool (dependency waves without the barrier between waves: a fast chain never waits for a
slow neighbour).

- A required check that failed, errored or was skipped (unless its skip was "does not apply",
  `blocks=False`) makes the dependant `skip` with "blocked by <id>".
- An exception becomes `error`; its traceback is kept on the result for `--verbose`.
- A check running past its timeout becomes `error`; its thread is abandoned, not waited for.
- Events `started`, `slow` and `finished` go to one callback (the CLI's live lines, the TUI's pane).
- Setting `cancel` starts nothing more; what had not finished is reported `skip` "cancelled".
- Results come back in registry order, with evidence and summaries scrubbed of every secret the
  checks registered.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from . import causes
from .context import Context, MissingValue
from .redact import scrub
from .spec import CheckResult, CheckSpec, Outcome, Remediation

SLOW_AFTER_S = 3.0


@dataclass(frozen=True)
class CheckEvent:
    kind: str  # "started" | "slow" | "finished"
    check_id: str
    title: str
    elapsed_s: float = 0.0
    result: CheckResult | None = None


@dataclass(frozen=True)
class DoctorReport:
    results: tuple[CheckResult, ...]
    duration_ms: int = 0
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not any(r.status in ("fail", "error") for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 pass/warn only, 1 a check failed, 3 only internal errors (design.md)."""
        if any(r.status == "fail" for r in self.results):
            return 1
        if any(r.status == "error" for r in self.results):
            return 3
        return 0

    def by_id(self, check_id: str) -> CheckResult:
        for r in self.results:
            if r.id == check_id:
                return r
        raise KeyError(check_id)

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": 1, "ok": self.ok, "checks": [r.to_json() for r in self.results]}


@dataclass
class _Running:
    spec: CheckSpec
    started: float
    deadline: float
    slow_reported: bool = False


@dataclass
class Runner:
    checks: Sequence[CheckSpec]
    max_workers: int = 16
    slow_after_s: float = SLOW_AFTER_S

    def run(self, ctx: Context, on_event: Callable[[CheckEvent], None] | None = None,
            cancel: threading.Event | None = None) -> DoctorReport:
        emit = on_event or (lambda e: None)
        cancel = cancel or ctx.cancelled
        start = time.monotonic()
        order = [c.id for c in self.checks]
        specs = {c.id: c for c in self.checks}
        pending = list(order)
        running: dict[str, _Running] = {}
        results: dict[str, CheckResult] = {}
        blocking: dict[str, bool] = {}
        self._templated: dict[str, Outcome] = {}
        finished: "queue.Queue[tuple[str, Outcome | None, str | None, float]]" = queue.Queue()
        pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="xwiz-check")
        try:
            while pending or running:
                if cancel.is_set():
                    ctx.cancelled.set()
                    for cid in [*pending, *running]:
                        results[cid] = self._finish(ctx, specs[cid], Outcome("skip", "cancelled"), 0.0, emit)
                    pending, running = [], {}
                    break
                for cid in list(pending):
                    spec = specs[cid]
                    reqs = [r for r in spec.requires if r in specs]
                    if any(r not in results for r in reqs):
                        continue
                    pending.remove(cid)
                    blocker = next((r for r in reqs if results[r].status in ("fail", "error")
                                    or (results[r].status == "skip" and blocking.get(r, True))), None)
                    if blocker is not None:
                        outcome = Outcome("skip", f"blocked by {blocker}", evidence={"blocked_by": blocker})
                        results[cid] = self._finish(ctx, spec, outcome, 0.0, emit)
                        blocking[cid] = True
                        continue
                    now = time.monotonic()
                    timeout = spec.timeout_s + (ctx.inputs.wait_s if spec.waits else 0.0)
                    running[cid] = _Running(spec, now, now + timeout)
                    emit(CheckEvent("started", cid, spec.title))
                    pool.submit(self._call, spec, ctx, finished)
                if not running:
                    if pending and not any(all(r in results for r in specs[c].requires if r in specs)
                                           for c in pending):
                        for cid in pending:  # a requirement cycle: a registry bug, reported, not hung on
                            results[cid] = self._finish(ctx, specs[cid], Outcome("error", "requirement cycle"),
                                                        0.0, emit)
                        pending = []
                    continue  # everything ready was skipped; look again
                wait = min(r.deadline for r in running.values()) - time.monotonic()
                wait = max(0.0, min(wait, 0.1))
                try:
                    cid, outcome, tb, took = finished.get(timeout=wait)
                except queue.Empty:
                    cid = None
                if cid is not None and cid in running:
                    del running[cid]
                    if outcome is None:
                        outcome = Outcome("error", "the check raised an unexpected error (see --verbose)")
                    results[cid] = self._finish(ctx, specs[cid], outcome, took, emit, tb)
                    blocking[cid] = outcome.blocks
                now = time.monotonic()
                for rid, r in list(running.items()):
                    if now >= r.deadline:
                        del running[rid]
                        outcome = Outcome("error", f"did not finish within {r.deadline - r.started:.0f} s")
                        results[rid] = self._finish(ctx, r.spec, outcome, now - r.started, emit)
                        blocking[rid] = True
                    elif not r.slow_reported and now - r.started >= self.slow_after_s:
                        r.slow_reported = True
                        emit(CheckEvent("slow", rid, r.spec.title, now - r.started))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        for cid, outcome in self._templated.items():
            # filled again now that every check has run: an early failure's command may need a value
            # (the project number) that a later check found
            if cid in results:
                results[cid] = replace(results[cid], remediation=self._remediation(ctx, specs[cid], outcome))
                ctx.record(results[cid])
        return DoctorReport(tuple(results[c] for c in order if c in results),
                            int((time.monotonic() - start) * 1000), cancel.is_set())

    def _call(self, spec: CheckSpec, ctx: Context, finished: queue.Queue) -> None:
        started = time.monotonic()
        outcome: Outcome | None = None
        tb = None
        try:
            outcome = spec(ctx)
            if not isinstance(outcome, Outcome):
                raise TypeError(f"check {spec.id} returned {type(outcome).__name__}, not an Outcome")
            undeclared = set(outcome.provided) - set(spec.provides)
            if undeclared:
                raise TypeError(f"check {spec.id} provided undeclared values {sorted(undeclared)}")
            ctx.put(outcome.provided)
        except MissingValue as e:
            outcome = Outcome("skip", f"not determined: {e} (see the checks it requires)")
        except BaseException as e:  # noqa: BLE001 - a check's bug must not take the doctor down
            tb = traceback.format_exc()
            outcome = Outcome("error", f"the check raised {type(e).__name__}: {str(e)[:200]}")
        finished.put((spec.id, outcome, tb, time.monotonic() - started))

    def _finish(self, ctx: Context, spec: CheckSpec, outcome: Outcome, took_s: float,
                emit: Callable[[CheckEvent], None], tb: str | None = None) -> CheckResult:
        secrets = ctx.secrets
        remediation = self._remediation(ctx, spec, outcome)
        if outcome.cause and outcome.remediation is None:
            self._templated[spec.id] = outcome
        result = CheckResult(
            id=spec.id, title=spec.title, status=outcome.status, cause=outcome.cause,
            summary=scrub(outcome.summary, secrets), evidence=scrub(dict(outcome.evidence), secrets),
            remediation=remediation, duration_ms=int(took_s * 1000),
            traceback=scrub(tb, secrets) if tb else None)
        ctx.record(result)
        emit(CheckEvent("finished", spec.id, spec.title, took_s, result))
        return result


    def _remediation(self, ctx: Context, spec: CheckSpec, outcome: Outcome) -> Remediation | None:
        remediation = outcome.remediation
        if outcome.cause and remediation is None and outcome.cause in causes.BY_CODE:
            values: dict[str, Any] = ctx.template_values(spec.group if spec.group != "config" else None)
            values.update({k: v for k, v in outcome.fix.items() if v is not None})
            remediation = causes.remediation(outcome.cause, values)
        secrets = ctx.secrets
        if remediation is not None and secrets:
            remediation = Remediation(scrub(remediation.text, secrets),
                                      tuple(scrub(c, secrets) for c in remediation.commands))
        return remediation


def run(checks: Sequence[CheckSpec], ctx: Context, on_event: Callable[[CheckEvent], None] | None = None,
        cancel: threading.Event | None = None, max_workers: int = 16) -> DoctorReport:
    return Runner(checks, max_workers=max_workers).run(ctx, on_event, cancel)
