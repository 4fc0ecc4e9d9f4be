"""The runner's promises, with tiny checks: scheduling by requirements, blocked dependants, errors
with tracebacks, timeouts, events, cancellation, non-blocking skips, remediation filling."""

from __future__ import annotations

import threading
import time

from checks.context import Context, DoctorInputs
from checks.runner import run
from checks.spec import CheckSpec, Outcome, failed, passed, skipped


def spec(cid, fn, requires=(), provides=(), timeout_s=5.0):
    return CheckSpec(cid, cid.title(), fn, requires=tuple(requires), provides=tuple(provides), timeout_s=timeout_s)


def ctx():
    return Context(services=None, inputs=DoctorInputs(), environ={})


def test_a_check_runs_after_what_it_requires_and_sees_what_it_provided():
    order = []

    def a(c):
        time.sleep(0.05)
        order.append("a")
        return passed("a", provide={"x": 1})

    def b(c):
        order.append("b")
        return passed(f"x={c.need('x')}")

    report = run([spec("config.b", b, requires=["config.a"]), spec("config.a", a, provides=["x"])], ctx())
    assert order == ["a", "b"]
    assert [r.id for r in report.results] == ["config.b", "config.a"]  # registry order, not finishing order
    assert report.by_id("config.b").summary == "x=1"


def test_independent_checks_run_concurrently():
    def slow(c):
        time.sleep(0.3)
        return passed("ok")

    start = time.monotonic()
    run([spec(f"config.c{i}", slow) for i in range(6)], ctx())
    assert time.monotonic() - start < 1.0


def test_dependants_of_a_failure_are_skipped_blocked_by_it():
    report = run([spec("config.a", lambda c: failed("clock-skew", "off")),
                  spec("config.b", lambda c: passed("never"), requires=["config.a"]),
                  spec("config.c", lambda c: passed("never"), requires=["config.b"])], ctx())
    assert report.by_id("config.b").status == "skip"
    assert report.by_id("config.b").summary == "blocked by config.a"
    assert report.by_id("config.c").summary == "blocked by config.b"
    assert report.exit_code == 1


def test_a_skip_that_does_not_block_lets_dependants_run():
    report = run([spec("config.a", lambda c: skipped("no permission", blocks=False)),
                  spec("config.b", lambda c: passed("ran"), requires=["config.a"])], ctx())
    assert report.by_id("config.b").status == "pass"
    assert report.exit_code == 0


def test_an_exception_is_an_error_with_its_traceback_kept():
    def boom(c):
        raise ZeroDivisionError("nope")

    report = run([spec("config.boom", boom), spec("config.after", lambda c: passed("x"), requires=["config.boom"])],
                 ctx())
    r = report.by_id("config.boom")
    assert r.status == "error" and "ZeroDivisionError" in r.summary
    assert "Traceback" in r.traceback and "ZeroDivisionError" not in r.to_json().get("traceback", "")
    assert report.by_id("config.after").summary == "blocked by config.boom"
    assert report.exit_code == 3


def test_a_check_past_its_timeout_is_an_error_and_is_not_waited_for():
    release = threading.Event()

    def hang(c):
        release.wait(10)
        return passed("late")

    start = time.monotonic()
    report = run([spec("config.hang", hang, timeout_s=0.3)], ctx())
    release.set()
    assert time.monotonic() - start < 2
    assert report.by_id("config.hang").status == "error"
    assert "did not finish within" in report.by_id("config.hang").summary


def test_events_started_slow_finished_go_to_one_callback():
    from checks.runner import Runner

    events = []

    def slowish(c):
        time.sleep(0.4)
        return passed("ok")

    Runner([spec("config.s", slowish)], slow_after_s=0.1).run(ctx(), on_event=events.append)
    assert [e.kind for e in events] == ["started", "slow", "finished"]
    assert events[-1].result.status == "pass"


def test_cancelling_starts_nothing_more():
    cancel = threading.Event()

    def first(c):
        cancel.set()
        return passed("first")

    report = run([spec("config.a", first), spec("config.b", lambda c: passed("b"), requires=["config.a"])], ctx(),
                 cancel=cancel)
    assert report.cancelled
    assert report.by_id("config.b").summary == "cancelled"


def test_undeclared_provided_values_are_a_wiring_error():
    report = run([spec("config.a", lambda c: passed("a", provide={"secret_key": 1}))], ctx())
    assert report.by_id("config.a").status == "error"


def test_remediation_is_filled_from_the_catalogue_with_shell_quoted_values():
    report = run([spec("config.a", lambda c: Outcome("fail", "x", "attribute-condition-rejects", fix={
        "condition": "assertion.arn.startsWith('arn:aws:sts::1:assumed-role/r/')", "provider": "p",
        "pool": "q", "project": "proj", "provider_kind": "aws"}))], ctx())
    command = report.by_id("config.a").remediation.commands[0]
    assert command.startswith("gcloud iam workload-identity-pools providers update-aws p "
                              "--workload-identity-pool=q --location=global --project=proj")
    import shlex

    assert shlex.split(command)[-1] == "--attribute-condition=assertion.arn.startsWith('arn:aws:sts::1:assumed-role/r/')"


def test_an_unknown_template_value_stays_a_visible_placeholder():
    report = run([spec("config.a", lambda c: Outcome("fail", "x", "pool-disabled"))], ctx())
    assert "<POOL>" in report.by_id("config.a").remediation.commands[0]
