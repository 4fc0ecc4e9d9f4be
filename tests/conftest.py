"""Shared fixtures: one sandbox per test session, reset before each test that uses it."""

from __future__ import annotations

import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets
    host = address[0]
    return host in ("localhost", "::1") or str(host).startswith("127.")


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise AssertionError(f"test tried to open a socket outside 127.0.0.1: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_loopback(address):
        raise AssertionError(f"test tried to open a socket outside 127.0.0.1: {address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only():
    """Fail any test that reaches for a real cloud: nothing here may leave 127.0.0.1."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(scope="session")
def _sandbox_session(tmp_path_factory):
    from wizard.sandbox import Sandbox

    sb = Sandbox.start(directory=tmp_path_factory.mktemp("sandbox"))
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(_sandbox_session):
    """A running sandbox in the `empty` scenario with default knobs."""
    sb = _sandbox_session
    sb.set_knobs(latency_ms=0, fault_rate=0, propagation_delay_s=0, imdsv2_required=False, clock_offset_s=0,
                 seed=None)
    sb.reset("empty")
    yield sb


@pytest.fixture
def endpoints(sandbox):
    return sandbox.endpoints
