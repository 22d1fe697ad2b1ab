"""The usage recorder: what ran while student code ran, and any interference with it."""

from __future__ import annotations

import functools
import sys
import threading

from autograder.probes import attempt, usage


def _record(fn) -> dict:
    usage.take()
    attempt(fn)
    return usage.take()


def test_plain_python_and_numpy_are_recorded_as_such():
    import numpy as np

    rec = _record(lambda: float(np.sum(np.arange(3.0))) + sum(range(4)))
    assert rec["complete"] and "numpy" in rec["modules"] and "jax" not in rec["modules"]


def test_a_library_reached_through_a_helper_and_a_computed_name_is_recorded():
    def helper(x):
        m = __import__("ja" + "x")
        return float(m.jvp(m.numpy.sin, (0.5,), (1.0,))[1])

    rec = _record(lambda: helper(0.0))
    assert rec["complete"] and "jax" in rec["modules"] and "jax.jvp" in rec["calls"]


def test_public_functions_are_named_through_their_decorators():
    import jax

    rec = _record(lambda: jax.jacfwd(jax.numpy.sin)(0.3))
    assert "jax.jacfwd" in rec["calls"] and "jax.jacrev" not in rec["calls"]


def test_a_thread_started_while_watching_is_watched():
    import jax

    def in_thread():
        t = threading.Thread(target=lambda: jax.grad(jax.numpy.cos)(0.2))
        t.start()
        t.join()

    rec = _record(in_thread)
    assert "jax.grad" in rec["calls"]


def test_removing_or_replacing_the_hook_is_interference():
    for tamper in (
        lambda: sys.settrace(None),
        lambda: sys.setprofile(lambda *a: None),
        lambda: threading.settrace(None),
    ):
        rec = _record(tamper)
        assert not rec["complete"] and rec["interference"], rec


def test_a_hook_taken_off_through_ctypes_is_caught():
    import ctypes

    rec = _record(lambda: ctypes.pythonapi.Py_IsInitialized())  # ctypes' own Python code ran
    assert "ctypes" in rec["modules"]
    set_trace = ctypes.pythonapi.PyEval_SetTrace  # fetched beforehand: calling it runs no Python
    set_trace.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    rec = _record(lambda: set_trace(None, None))
    assert not rec["complete"] and "removed" in rec["interference"][0]


def test_nested_attempts_record_once_and_restore_everything():
    before = (sys.gettrace(), sys.settrace, threading.settrace)
    usage.take()
    attempt(lambda: attempt(functools.partial(sum, [1, 2])))
    rec = usage.take()
    assert rec["complete"]
    assert (sys.gettrace(), sys.settrace, threading.settrace) == before
