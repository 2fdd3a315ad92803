package io.netstack.service.socket;

import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.layer.Layers;
import io.netstack.layer.SocketLayer;
import io.netstack.service.socket.api.ApiWaits;
import io.netstack.service.socket.api.SocketApiService;
import io.netstack.service.socket.api.SocketVisits;
import io.netstack.socket.NetstackApi;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import io.netstack.stack.WireFrame;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The socket API's gRPC service over an in-process gRPC server, backed by an
 * {@link InProcessStack} (the five layers, no broker). Hosts' eth0 are wired back to back; the
 * stack's clock follows real time (a timer thread advances it every few ms), so TCP's timers run.
 */
final class InProcessApi implements AutoCloseable {

    private static final AtomicInteger NAMES = new AtomicInteger();

    final InProcessStack stack;
    final SocketLayer socketLayer;
    final ApiWaits waits = new ApiWaits();
    /** Visits of the socket layer by API calls so far (a blocked call must not make any). */
    final java.util.concurrent.atomic.AtomicLong apiVisits = new java.util.concurrent.atomic.AtomicLong();
    private final Object lock = new Object();
    private final Deque<WireFrame> onWire = new ArrayDeque<>();
    private final Map<String, String> peerOf = new HashMap<>();
    private final Server server;
    final SocketApiService service;
    /** Visits of the stack's socket layer (another API service over the same stack uses them too). */
    final SocketVisits visits;
    private final String name = "netstack-test-" + NAMES.incrementAndGet();
    private final Thread clock;
    private volatile boolean open = true;

    /** Runs {@code r} holding the layer's lock, as the service's configuration thread applies a host. */
    void underLayerLock(Runnable r) {
        synchronized (lock) {
            r.run();
        }
    }

    InProcessApi() throws Exception {
        List<Layer> layers = Layers.standard();
        stack = new InProcessStack(layers, 0);
        socketLayer = (SocketLayer) layers.stream().filter(l -> l instanceof SocketLayer).findFirst().orElseThrow();
        socketLayer.onWakeup(waits);
        stack.onTransmit(f -> {
            String peer = peerOf.get(f.netns());
            if (peer != null) onWire.add(new WireFrame(peer, f.dev(), f.frame(), f.timeNanos()));
        });
        visits = new SocketVisits() {
            @Override
            public <T> T visit(String netns, Function<LayerContext, T> action) {
                Object[] out = new Object[1];
                apiVisits.incrementAndGet();
                synchronized (lock) {
                    stack.run("socket", ctx -> out[0] = action.apply(ctx));
                    pumpWire();
                }
                @SuppressWarnings("unchecked") T t = (T) out[0];
                return t;
            }
        };
        service = new SocketApiService(socketLayer, visits, waits);
        server = InProcessServerBuilder.forName(name).addService(service).build().start();
        clock = new Thread(() -> {
            while (open) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
                synchronized (lock) {
                    stack.advance(2_000_000L);
                    pumpWire();
                }
            }
        }, "in-process-clock");
        clock.setDaemon(true);
        clock.start();
    }

    /** Frames one host transmitted arrive at the other (each may cause more). */
    private void pumpWire() {
        WireFrame f;
        while ((f = onWire.poll()) != null) stack.receiveFrame(f);
    }

    /** Host netns at addr/24 on eth0 with MAC 02:00:00:00:00:xx (xx = the address's last byte). */
    HostConfig host(String netns, String addr, String extra) {
        String last = addr.substring(addr.lastIndexOf('.') + 1);
        String mac = String.format("02:00:00:00:00:%02x", Integer.parseInt(last));
        String yaml = "interfaces:\n"
                + "  - name: eth0\n"
                + "    mac: \"" + mac + "\"\n"
                + "    mtu: 1500\n"
                + "    addresses: [\"" + addr + "/24\"]\n"
                + extra;
        HostConfig h = HostConfigParser.parse(yaml, "test", netns);
        synchronized (lock) {
            stack.configure(h);
        }
        return h;
    }

    void wire(String a, String b) {
        synchronized (lock) {
            peerOf.put(a, b);
            peerOf.put(b, a);
        }
    }

    NetstackApi client() { return NetstackApi.inProcess(name); }

    String serverName() { return name; }

    @Override
    public void close() throws InterruptedException {
        open = false;
        clock.interrupt();
        clock.join();
        server.shutdownNow();
    }
}
