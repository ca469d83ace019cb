"""Handing results from worker threads to the GUI thread without touching a QObject that the GUI
thread may be deleting.

A thread that emits a signal of a widget (the map canvas, a job's worker owned by the window)
races with the GUI thread deleting that widget: PyQt checks that the object exists, then lets go
of the interpreter inside ``emit`` while Qt reads the object's connections; the GUI thread takes
the interpreter, deletes the object (a window closed, a test's window removed by its deferred
delete) and Qt then reads freed memory in the worker: a segmentation fault in
``QMetaObject::activate`` (seen twice in the GUI tests: the drawing thread handing over its image
while the previous test's window was deleted).

Here every hand-over goes through one relay object made on the GUI thread and never deleted; the
worker passes a weak reference to its target, and the GUI thread delivers only to a target that
still exists. Worker threads thus emit only on an object that lives as long as the process."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from PyQt6 import QtCore, sip


class _Relay(QtCore.QObject):
    call = QtCore.pyqtSignal(object, object)  # function, arguments


_RELAY: _Relay | None = None
_RELAY_LOCK = threading.Lock()


def _run(fn: Callable[..., Any], args: tuple) -> None:
    fn(*args)


def init_relay() -> None:
    """Make the relay (on the GUI thread: its queued calls run in that thread's event loop).
    Called by the objects that hand work to threads when they are made, so a worker never
    finds it missing."""
    global _RELAY
    with _RELAY_LOCK:
        if _RELAY is not None:
            return
        if threading.current_thread() is not threading.main_thread():  # the app's GUI thread
            raise RuntimeError("the thread relay must be made on the GUI thread")
        relay = _Relay()
        # a plain function: PyQt's proxy for it lives in this (the GUI) thread and, like the
        # relay, is never deleted
        relay.call.connect(_run, QtCore.Qt.ConnectionType.QueuedConnection)
        sip.transferto(relay, None)  # not deleted with its wrapper either (at exit threads may still emit)
        _RELAY = relay


def call_in_gui(fn: Callable[..., Any], *args: Any) -> None:
    """Run ``fn(*args)`` on the GUI thread, in a later turn of its event loop (from any thread)."""
    if _RELAY is None:
        init_relay()
    assert _RELAY is not None
    _RELAY.call.emit(fn, args)


def alive(obj: Any) -> bool:
    """Whether ``obj`` (a weak reference's target, maybe None) is a Qt object not yet deleted."""
    return obj is not None and not sip.isdeleted(obj)


def _emit_if_alive(ref: weakref.ref, signal: str, args: tuple) -> None:
    obj = ref()
    if alive(obj):
        getattr(obj, signal).emit(*args)


def emit_in_gui(ref: weakref.ref, signal: str, *args: Any) -> None:
    """Emit the signal named ``signal`` of the QObject behind the weak reference ``ref`` with
    ``args`` on the GUI thread, if that object still exists then. The calling thread holds no
    reference to the object (its last reference is never dropped, nor its C++ side deleted, off
    the GUI thread)."""
    call_in_gui(_emit_if_alive, ref, signal, args)
