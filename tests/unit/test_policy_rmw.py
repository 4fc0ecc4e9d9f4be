"""The shared read-modify-write: a stale etag re-reads, anything else surfaces."""

import pytest

from wizard.engine.policy_rmw import PolicyKeptChanging, read_modify_write
from wizard.model.errors import ConflictError, PermissionDeniedError, TransientError


def _modify(policy):
    return {**policy, "bindings": ["x"]}, ("+ x",)


def test_a_stale_etag_reads_again_before_writing_again():
    reads, writes = [], []

    def write(p):
        writes.append(p["etag"])
        if len(writes) < 3:
            raise ConflictError("stale", code="ABORTED")

    out = read_modify_write(lambda: reads.append(1) or {"etag": f"e{len(reads)}"}, _modify, write,
                            sleep=lambda s: None)
    assert out == ("+ x",) and writes == ["e1", "e2", "e3"]  # each write carried a fresh etag


def test_nothing_to_add_writes_nothing():
    assert read_modify_write(lambda: {}, lambda p: (p, ()), lambda p: pytest.fail("wrote"),
                             sleep=lambda s: None) == ()


def test_other_errors_surface_and_endless_races_give_up():
    with pytest.raises(ConflictError):
        read_modify_write(lambda: {}, _modify, lambda p: (_ for _ in ()).throw(ConflictError("x", code="ALREADY_EXISTS")),
                          sleep=lambda s: None)
    with pytest.raises(PermissionDeniedError):
        read_modify_write(lambda: {}, _modify, lambda p: (_ for _ in ()).throw(PermissionDeniedError("no")),
                          retry_on=(TransientError,), sleep=lambda s: None)
    with pytest.raises(PolicyKeptChanging):
        read_modify_write(lambda: {}, _modify, lambda p: (_ for _ in ()).throw(ConflictError("x", code="ABORTED")),
                          attempts=3, sleep=lambda s: None)
    calls = []

    def flaky(p):
        calls.append(1)
        if len(calls) == 1:
            raise TransientError("503")

    assert read_modify_write(lambda: {}, _modify, flaky, retry_on=(TransientError,), sleep=lambda s: None)
