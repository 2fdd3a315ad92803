package io.netstack.service.socket.apps;

import io.grpc.StatusRuntimeException;
import io.netstack.config.HostConfig;
import io.netstack.layer.SocketLayer;
import io.netstack.service.socket.api.HostOwnership;
import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import io.netstack.wire.Inet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The demo applications host.yaml's {@code apps:} starts on an emulated host: udp-echo, tcp-echo
 * and a small HTTP/1.1 server. They are ordinary socket programs: they use {@link NetstackSocket}
 * over the socket API (an in-process gRPC channel), so they see exactly what any client of the
 * API sees, whatever the wire. A host's new configuration starts the apps it adds and stops the
 * ones it drops (closing their sockets); removing the host stops them all.
 *
 * <p>Every socket-service instance has the configuration of every host, but a host's apps run
 * only on the instance that owns the host ({@link HostOwnership}): their sockets live there.
 * When the host moves (its partition assigned elsewhere, {@link #ownershipChanged}), the apps
 * here stop without closing anything (the sockets are the host's, restored on the new owner),
 * and the new owner's apps take the restored sockets over: the listener found by address and
 * port instead of bind + listen (which would fail with EADDRINUSE), and every connection it had
 * accepted served again (a connection nobody serves would hang its client).
 */
public final class DemoApps implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoApps.class);

    private final NetstackApi api;
    private final HostOwnership ownership;
    private final OpenSockets open;
    /** Every host's configuration, owned here or not: the apps start from it when the host comes here. */
    private final Map<String, HostConfig> hosts = new LinkedHashMap<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "netstack-app");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Running> running = new LinkedHashMap<>();

    /** The host's open sockets as the socket layer has them (SocketLayer#openSockets). */
    public interface OpenSockets {
        List<SocketLayer.BsdSocket> of(String netns);

        OpenSockets NONE = netns -> List.of();
    }

    /** One started app: its listening / bound socket, closed to stop it, and the threads that run it. */
    private static final class Running {
        final String netns;
        final HostConfig.AppSpec spec;
        volatile NetstackSocket socket;
        volatile boolean stopped;
        final Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Running(String netns, HostConfig.AppSpec spec) {
            this.netns = netns;
            this.spec = spec;
        }
    }

    /** Apps for every host (one instance, an in-process stack). */
    public DemoApps(NetstackApi api) {
        this(api, HostOwnership.ALL, OpenSockets.NONE);
    }

    public DemoApps(NetstackApi api, HostOwnership ownership, OpenSockets open) {
        this.api = api;
        this.ownership = ownership;
        this.open = open;
    }

    /** The host's apps: start the new ones (if the host is this instance's), stop the ones no longer listed. */
    public synchronized void configure(HostConfig host) {
        hosts.put(host.netns(), host);
        boolean mine = ownership.owns(host.netns());
        Set<String> want = new HashSet<>();
        for (HostConfig.AppSpec a : host.apps()) {
            String id = host.netns() + " " + a.key();
            want.add(id);
            if (!mine || running.containsKey(id)) continue;
            Running r = new Running(host.netns(), a);
            running.put(id, r);
            threads.execute(() -> run(r));
        }
        for (String id : new ArrayList<>(running.keySet())) {
            if (id.startsWith(host.netns() + " ") && !want.contains(id)) stop(running.remove(id), true);
        }
    }

    /**
     * Partitions were assigned (after their hosts were restored): the apps of hosts owned here
     * now start (taking over their sockets), the apps of hosts owned elsewhere now stop, their
     * sockets left as they are. Apps of a host that stays here run on untouched (their calls
     * waited out the rebalance).
     */
    public synchronized void ownershipChanged() {
        for (HostConfig host : new ArrayList<>(hosts.values())) {
            if (ownership.owns(host.netns())) {
                configure(host);
            } else {
                for (String id : new ArrayList<>(running.keySet())) {
                    if (id.startsWith(host.netns() + " ")) stop(running.remove(id), false);
                }
            }
        }
    }

    /** The host is gone: its apps end (their sockets went with it). */
    public synchronized void remove(String netns) {
        hosts.remove(netns);
        for (String id : new ArrayList<>(running.keySet())) {
            if (id.startsWith(netns + " ")) stop(running.remove(id), true);
        }
    }

    /** The apps running now ("h1 tcp-echo 0.0.0.0:7"). */
    public synchronized List<String> running() { return List.copyOf(running.keySet()); }

    /**
     * Stops an app: its socket is closed on the apps' own threads, never on the caller's. The
     * caller is the configuration thread holding the layer's lock (SocketAppsLayer.configure /
     * remove run under it), and close() is a call of the socket API, which needs that lock for
     * its visit: closing here deadlocked the socket service for good when a host with apps
     * was removed (no later host was ever configured).
     *
     * <p>Without {@code close} (the host moved to another instance, or this instance stops) the
     * app's threads are interrupted, which cancels their blocked calls, and nothing is closed:
     * the sockets are the host's, and the apps of its next owner take them over.
     */
    private void stop(Running r, boolean close) {
        r.stopped = true;
        if (!close) {
            r.threads.forEach(Thread::interrupt);
            return;
        }
        NetstackSocket s = r.socket;
        if (s == null) return;
        try {
            threads.execute(() -> {
                try {
                    s.close();
                } catch (ErrnoException | RuntimeException e) {
                    // the host may be gone already
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // the service is stopping
        }
    }

    private void run(Running r) {
        r.threads.add(Thread.currentThread());
        if (r.stopped) return;
        String addr = Inet.format(r.spec.addr());
        try {
            switch (r.spec.app()) {
                case "udp-echo": {
                    SocketLayer.BsdSocket had = find(r, "udp", SocketLayer.SockState.BOUND);
                    NetstackSocket s = had != null ? api.adopt(r.netns, "udp", had.fd) : api.udp(r.netns);
                    r.socket = s;
                    if (had == null) s.bind(addr, r.spec.port());
                    log.info("{}: udp-echo on {}:{}{}", r.netns, addr, r.spec.port(), had != null ? " (taken over)" : "");
                    udpEcho(r, s);
                    break;
                }
                case "tcp-echo":
                case "http": {
                    boolean http = "http".equals(r.spec.app());
                    SocketLayer.BsdSocket had = find(r, "tcp", SocketLayer.SockState.LISTEN);
                    NetstackSocket s = had != null ? api.adopt(r.netns, "tcp", had.fd) : api.tcp(r.netns);
                    r.socket = s;
                    if (had == null) {
                        s.bind(addr, r.spec.port());
                        s.listen(128);
                        log.info("{}: {} on {}:{}", r.netns, r.spec.app(), addr, r.spec.port());
                    } else {
                        // The connections the listener had accepted, served by the apps of the instance the host left.
                        int taken = 0;
                        for (SocketLayer.BsdSocket c : open.of(r.netns)) {
                            if ("tcp".equals(c.proto) && c.state() != SocketLayer.SockState.LISTEN
                                    && c.localPort() == r.spec.port() && c.remotePort() != 0) {
                                NetstackSocket conn = api.adopt(r.netns, "tcp", c.fd);
                                threads.execute(() -> serve(r, conn, http));
                                taken++;
                            }
                        }
                        log.info("{}: {} on {}:{} taken over with {} connections", r.netns, r.spec.app(), addr,
                                r.spec.port(), taken);
                    }
                    while (!r.stopped) {
                        NetstackSocket c = s.accept();
                        threads.execute(() -> serve(r, c, http));
                    }
                    break;
                }
                default:
                    log.warn("{}: no app {}", r.netns, r.spec.app());
            }
        } catch (ErrnoException e) {
            if (!r.stopped) log.warn("{}: {} ended: {}", r.netns, r.spec.key(), e.getMessage());
        } catch (StatusRuntimeException e) {
            // The host is another instance's now (or this one is stopping): its apps run there.
            if (!r.stopped) log.info("{}: {} stopped here: {}", r.netns, r.spec.key(), e.getStatus());
        } catch (RuntimeException e) {
            if (!r.stopped) log.warn("{}: {} failed: {}", r.netns, r.spec.key(), e.toString());
        } finally {
            r.threads.remove(Thread.currentThread());
        }
    }

    /** The app's socket in the host's restored table (bound to its address and port), or null. */
    private SocketLayer.BsdSocket find(Running r, String proto, SocketLayer.SockState state) {
        for (SocketLayer.BsdSocket b : open.of(r.netns)) {
            if (proto.equals(b.proto) && b.state() == state && b.localPort() == r.spec.port()
                    && b.localAddr() == r.spec.addr() && b.remotePort() == 0) {
                return b;
            }
        }
        return null;
    }

    /** udp-echo: every datagram goes back to where it came from (RFC 862). */
    private static void udpEcho(Running r, NetstackSocket s) throws ErrnoException {
        while (!r.stopped) {
            NetstackSocket.Received d = s.recvFrom(65535);
            if (d.from() != null) s.sendTo(d.data(), d.from().addr(), d.from().port());
        }
    }

    private void serve(Running r, NetstackSocket c, boolean http) {
        r.threads.add(Thread.currentThread());
        // Closed when the exchange ended (EOF, an errno); not when the call failed in gRPC (the
        // host went to another instance, whose apps serve the connection on, or the app stopped).
        boolean close = true;
        try {
            if (r.stopped) {
                close = false;   // stopped before it began: the next owner's apps serve it
                return;
            }
            if (http) {
                HttpApp.serve(r.netns, c);
            } else {
                // tcp-echo (RFC 862): every byte read goes back, in order, before the next read;
                // close only after the peer's FIN (recvStream returns at EOF) and after all was
                // written. A short send (send() returns what it took) is continued, not lost.
                c.recvStream(65536, d -> {
                    try {
                        writeAll(c, d.data());
                    } catch (ErrnoException e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
        } catch (ErrnoException | RuntimeException e) {
            if (grpcFailure(e)) close = false;
            if (!r.stopped) log.debug("{}: connection of {} ended: {}", r.netns, r.spec.key(), e.toString());
        } finally {
            r.threads.remove(Thread.currentThread());
            if (close) {
                try {
                    c.close();
                } catch (ErrnoException | RuntimeException e) {
                    // already closed, or not ours any more
                }
            }
        }
    }

    /** A failure of the call, not of the connection (writeAll's errors arrive wrapped). */
    private static boolean grpcFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof StatusRuntimeException) return true;
        return false;
    }

    /** write() until every byte is taken: send() may take fewer than it was given. */
    static void writeAll(NetstackSocket c, byte[] data) throws ErrnoException {
        int off = 0;
        while (off < data.length) {
            int n = Math.min(NetstackSocket.MAX_SEND, data.length - off);
            int took = c.send(off == 0 && n == data.length ? data : java.util.Arrays.copyOfRange(data, off, off + n));
            if (took <= 0) throw new ErrnoException("EIO", "send took " + took + " bytes");
            off += took;
        }
    }

    /**
     * The service stops: the apps stop without closing their sockets (the host's state outlives
     * this instance: its next owner's apps take them over).
     */
    @Override
    public synchronized void close() {
        for (Running r : running.values()) stop(r, false);
        running.clear();
        threads.shutdown();
        try {
            threads.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.shutdownNow();
    }

    static byte[] ascii(String s) { return s.getBytes(StandardCharsets.US_ASCII); }
}
