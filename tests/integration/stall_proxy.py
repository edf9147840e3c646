"""A tiny TCP proxy on 127.0.0.1 for fault-injection tests: it accepts
connections and forwards them to an upstream server, or stalls them.

    proxy = StallProxy(upstream_port=slapd.port)   # forwards
    proxy = StallProxy()                           # no upstream: accepts,
                                                   # never answers
    proxy.uri          ldap://127.0.0.1:PORT/ to put into ldap_uris
    proxy.pause()      stop moving bytes (both ways) on every connection,
                       old and new; nothing is read, the kernel keeps what
                       was sent: a server that hangs, e.g. SIGSTOPped
    proxy.resume()     move bytes again, starting with what was held back:
                       the server "wakes up"
    proxy.blackhole()  every connection open now, and every one accepted
                       until resume(), swallows whatever the client sends
                       and never answers, for ever (its upstream side is
                       closed at once): a server that lost those
                       connections without the client noticing
    proxy.accepted     connections accepted so far
    proxy.close()      stop: close every socket, end the thread

UnreachablePort() is the other kind of dead server: connect() to its
.uri hangs (SYNs are dropped), as to a host that is down or firewalled.

Connections are always accepted (also while paused or black-holed), so
the client's connect() succeeds and only its requests go unanswered.
Bounded: at most MAX_CONNECTIONS open connections (more are closed at
once), MAX_LIFETIME seconds of life, a daemon thread, and close() is also
registered with atexit. Standard library only; listens on 127.0.0.1 only.
"""

import atexit
import selectors
import socket
import threading
import time

MAX_CONNECTIONS = 256
MAX_LIFETIME = 600
_CHUNK = 65536

FORWARD, PAUSE, BLACKHOLE = "forward", "pause", "blackhole"


def _close_all(*socks):
    """Close each socket that is not None; errors do not matter here."""
    for s in socks:
        if s is not None:
            try:
                s.close()
            except OSError:
                pass


class _Closing:
    """`with` support for the classes below: close() on the way out."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Pair:
    """A client connection and (unless black-holed) its upstream."""

    def __init__(self, client, upstream):
        self.client = client
        self.upstream = upstream
        self.to_upstream = b""
        self.to_client = b""
        self.blackholed = upstream is None


class StallProxy(_Closing):
    def __init__(self, upstream_port=None, upstream_host="127.0.0.1",
                 port=0, mode=None):
        self.upstream = (None if upstream_port is None
                         else (upstream_host, upstream_port))
        if mode is None:
            mode = FORWARD if self.upstream else BLACKHOLE
        if mode == FORWARD and self.upstream is None:
            raise ValueError("forwarding needs an upstream_port")
        self._mode = mode
        self.accepted = 0
        self._lock = threading.Lock()
        self._pairs = []
        self._closed = False
        self._born = time.monotonic()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(64)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self.uri = "ldap://127.0.0.1:%d/" % self.port
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="stall-proxy-%d" % self.port)
        self._thread.start()
        atexit.register(self.close)

    def __repr__(self):
        return "StallProxy(%s, mode=%s, upstream=%s)" % (
            self.uri, self._mode, self.upstream)

    # --- control (from the test's thread) ----------------------------------

    @property
    def mode(self):
        return self._mode

    def _set_mode(self, mode):
        with self._lock:
            if mode == FORWARD and self.upstream is None:
                raise ValueError("forwarding needs an upstream_port")
            self._mode = mode
            if mode == BLACKHOLE:
                for pair in self._pairs:
                    pair.blackholed = True
        self._wake()

    def pause(self):
        self._set_mode(PAUSE)

    def resume(self):
        self._set_mode(FORWARD)

    def blackhole(self):
        self._set_mode(BLACKHOLE)

    def open_connections(self):
        with self._lock:
            return len(self._pairs)

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._wake()
        if self._thread is not threading.current_thread():
            self._thread.join(5)
        with self._lock:
            for pair in self._pairs:
                self._close_pair(pair)
            self._pairs = []
        _close_all(self._listener, self._wake_r, self._wake_w)

    # --- the loop -----------------------------------------------------------

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    @staticmethod
    def _close_pair(pair):
        _close_all(pair.client, pair.upstream)
        pair.client = pair.upstream = None

    def _accept(self):
        try:
            client, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        self.accepted += 1
        if len(self._pairs) >= MAX_CONNECTIONS:
            client.close()
            return
        client.setblocking(False)
        upstream = None
        if self.upstream is not None and self._mode != BLACKHOLE:
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.setblocking(False)
            except OSError:
                client.close()    # like a server that is not there
                return
        with self._lock:
            self._pairs.append(_Pair(client, upstream))

    def _register(self, sel):
        sel.register(self._listener, selectors.EVENT_READ, None)
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        moving = self._mode == FORWARD
        for pair in self._pairs:
            if pair.blackholed:
                if pair.upstream is not None:
                    pair.upstream.close()
                    pair.upstream = None
                # swallow what the client sends, notice when it leaves
                sel.register(pair.client, selectors.EVENT_READ, pair)
                continue
            if not moving:
                continue    # paused: read nothing, the kernel holds it
            for sock, out in ((pair.client, pair.to_client),
                              (pair.upstream, pair.to_upstream)):
                events = selectors.EVENT_READ
                if out:
                    events |= selectors.EVENT_WRITE
                sel.register(sock, events, pair)

    def _pump(self, pair, sock, events):
        if pair.client is None:
            return
        if pair.blackholed:
            try:
                data = sock.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self._drop(pair)
            return
        other = pair.upstream if sock is pair.client else pair.client
        try:
            if events & selectors.EVENT_WRITE:
                if sock is pair.client:
                    n = sock.send(pair.to_client)
                    pair.to_client = pair.to_client[n:]
                else:
                    n = sock.send(pair.to_upstream)
                    pair.to_upstream = pair.to_upstream[n:]
            if events & selectors.EVENT_READ:
                data = sock.recv(_CHUNK)
                if not data:
                    self._drop(pair)
                    return
                if other is pair.client:
                    pair.to_client += data
                else:
                    pair.to_upstream += data
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._drop(pair)

    def _drop(self, pair):
        self._close_pair(pair)
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)

    def _run(self):
        while not self._closed:
            if time.monotonic() - self._born > MAX_LIFETIME:
                break
            with selectors.DefaultSelector() as sel:
                with self._lock:
                    self._register(sel)
                for key, events in sel.select(timeout=0.5):
                    if self._closed:
                        break
                    if key.fileobj is self._listener:
                        self._accept()
                    elif key.fileobj is self._wake_r:
                        try:
                            self._wake_r.recv(4096)
                        except OSError:
                            pass
                    else:
                        self._pump(key.data, key.fileobj, events)
        self._closed = True


class UnreachablePort(_Closing):
    """A 127.0.0.1 port where connect() hangs, as to a host that is down
    or behind a firewall that drops packets: a listening socket with a
    full accept queue (backlog 0, one connection parked in it, never
    accepted), so Linux drops every further SYN. close() frees it."""

    def __init__(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        self.uri = "ldap://127.0.0.1:%d/" % self.port
        self._filler = socket.create_connection(("127.0.0.1", self.port),
                                                timeout=5)
        atexit.register(self.close)

    def close(self):
        _close_all(self._filler, self._listener)
