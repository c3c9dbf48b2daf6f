"""Offline guard: Python imports this module at start-up in every process that has this folder
on PYTHONPATH (`make run` and `make test-notebooks` put it there, kernels inherit it). Resolving
or connecting to any host but this machine's loopback then raises RuntimeError, which no
download fallback catches, so a default run that reaches for the network fails loudly instead of
quietly falling back. Loopback stays open: Jupyter's kernels and the tests' local server use it.
"""

import socket

LOOPBACK = {"127.0.0.1", "::1", "localhost", "", None}
_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect


def _host(address):
    return address[0] if isinstance(address, tuple) else None


def _refuse(what):
    raise RuntimeError(f"offline guard: a default run tried the network ({what}); "
                       "tools/offline_guard/sitecustomize.py")


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in LOOPBACK and not str(host).startswith("127."):
        _refuse(f"looking up {host}")
    return _getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = _host(address)
        if host not in LOOPBACK and not str(host).startswith("127."):
            _refuse(f"connecting to {address}")
    return _connect(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect
