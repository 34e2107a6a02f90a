"""Loopback servers that never finish: one accepts and stays silent, one trickles forever.

They speak just enough of HTTP to be believed: the silent one reads the request and
answers nothing; the trickling one sends a valid status line and headers, then a body
one byte at a time, each byte well within any per-read timeout. `silent-upload` answers
reads (404) and is silent to uploads.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

Behaviour = Literal["silent", "trickle", "trickle-headers", "silent-upload"]
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def _serve(conn: socket.socket, behaviour: Behaviour, stop: threading.Event) -> None:
    with conn:
        conn.settimeout(0.5)
        try:
            request = conn.recv(65536)  # the request (or its first part)
        except OSError:
            request = b""
        try:
            if behaviour == "silent-upload" and request.startswith(b"GET"):
                conn.sendall(NOT_FOUND)  # reads are answered: the project is not there yet
                return
            if behaviour == "trickle":
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                conn.sendall(head + b"Content-Length: 100000000\r\n\r\n")
            elif behaviour == "trickle-headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.is_set():
                if behaviour == "trickle":
                    conn.sendall(b"<")
                elif behaviour == "trickle-headers":
                    conn.sendall(b"X-Slow: 1\r\n")
                stop.wait(0.2)
        except OSError:
            return


@contextmanager
def slow_server(behaviour: Behaviour) -> Iterator[str]:
    """Serve on a free loopback port; yield `http://127.0.0.1:PORT/`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_serve, args=(conn, behaviour, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        time.sleep(0)  # let the connection threads see the stop
