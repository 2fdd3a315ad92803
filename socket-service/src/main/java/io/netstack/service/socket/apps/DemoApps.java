package io.netstack.service.socket.apps;

import io.netstack.config.HostConfig;
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
 */
public final class DemoApps implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoApps.class);

    private final NetstackApi api;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "netstack-app");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Running> running = new LinkedHashMap<>();

    /** One started app: its listening / bound socket, closed to stop it. */
    private static final class Running {
        final String netns;
        final HostConfig.AppSpec spec;
        volatile NetstackSocket socket;
        volatile boolean stopped;

        Running(String netns, HostConfig.AppSpec spec) {
            this.netns = netns;
            this.spec = spec;
        }
    }

    public DemoApps(NetstackApi api) {
        this.api = api;
    }

    /** The host's apps: start the new ones, stop the ones no longer listed. */
    public synchronized void configure(HostConfig host) {
        Set<String> want = new HashSet<>();
        for (HostConfig.AppSpec a : host.apps()) {
            String id = host.netns() + " " + a.key();
            want.add(id);
            if (running.containsKey(id)) continue;
            Running r = new Running(host.netns(), a);
            running.put(id, r);
            threads.execute(() -> run(r));
        }
        for (String id : new ArrayList<>(running.keySet())) {
            if (id.startsWith(host.netns() + " ") && !want.contains(id)) stop(running.remove(id));
        }
    }

    /** The host is gone: its apps end (their sockets went with it). */
    public synchronized void remove(String netns) {
        for (String id : new ArrayList<>(running.keySet())) {
            if (id.startsWith(netns + " ")) stop(running.remove(id));
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
     */
    private void stop(Running r) {
        r.stopped = true;
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
        String addr = Inet.format(r.spec.addr());
        try {
            switch (r.spec.app()) {
                case "udp-echo": {
                    NetstackSocket s = api.udp(r.netns);
                    r.socket = s;
                    s.bind(addr, r.spec.port());
                    log.info("{}: udp-echo on {}:{}", r.netns, addr, r.spec.port());
                    udpEcho(r, s);
                    break;
                }
                case "tcp-echo":
                case "http": {
                    NetstackSocket s = api.tcp(r.netns);
                    r.socket = s;
                    s.bind(addr, r.spec.port());
                    s.listen(128);
                    log.info("{}: {} on {}:{}", r.netns, r.spec.app(), addr, r.spec.port());
                    while (!r.stopped) {
                        NetstackSocket c = s.accept();
                        boolean http = "http".equals(r.spec.app());
                        threads.execute(() -> serve(r, c, http));
                    }
                    break;
                }
                default:
                    log.warn("{}: no app {}", r.netns, r.spec.app());
            }
        } catch (ErrnoException e) {
            if (!r.stopped) log.warn("{}: {} ended: {}", r.netns, r.spec.key(), e.getMessage());
        } catch (RuntimeException e) {
            if (!r.stopped) log.warn("{}: {} failed: {}", r.netns, r.spec.key(), e.toString());
        }
    }

    /** udp-echo: every datagram goes back to where it came from (RFC 862). */
    private static void udpEcho(Running r, NetstackSocket s) throws ErrnoException {
        while (!r.stopped) {
            NetstackSocket.Received d = s.recvFrom(65535);
            if (d.from() != null) s.sendTo(d.data(), d.from().addr(), d.from().port());
        }
    }

    private void serve(Running r, NetstackSocket c, boolean http) {
        try {
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
            if (!r.stopped) log.debug("{}: connection of {} ended: {}", r.netns, r.spec.key(), e.toString());
        } finally {
            try {
                c.close();
            } catch (ErrnoException | RuntimeException e) {
                // already closed
            }
        }
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

    @Override
    public synchronized void close() {
        for (Running r : running.values()) stop(r);
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
