package io.netstack.service.socket;

import io.netstack.config.HostConfig;
import io.netstack.layer.SocketLayer;
import io.netstack.skb.SkBuff;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The socket layer as the socket service runs it: {@link SocketLayer} itself, plus a hook on
 * the host configurations so that the demo applications a host.yaml lists start with the host
 * (and stop with it). Configurations that arrive before the hook is set are kept and replayed.
 */
public final class SocketAppsLayer implements Layer {

    private final SocketLayer socket = new SocketLayer();
    private final Map<String, HostConfig> hosts = new LinkedHashMap<>();
    private Consumer<HostConfig> onConfigure;
    private Consumer<String> onRemove;

    public SocketLayer socketLayer() { return socket; }

    /** Called with every host configuration (after the layer took it) and every removal. */
    public synchronized void hooks(Consumer<HostConfig> configure, Consumer<String> remove) {
        this.onConfigure = configure;
        this.onRemove = remove;
        hosts.values().forEach(configure);
    }

    @Override public String name() { return socket.name(); }

    @Override public Set<KernelQueue> inputs() { return socket.inputs(); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        socket.receive(queue, skb, ctx);
    }

    @Override
    public synchronized void configure(HostConfig host) {
        socket.configure(host);
        hosts.put(host.netns(), host);
        if (onConfigure != null) onConfigure.accept(host);
    }

    @Override
    public synchronized void remove(String netns) {
        socket.remove(netns);
        hosts.remove(netns);
        if (onRemove != null) onRemove.accept(netns);
    }

    @Override public void tick(LayerContext ctx) { socket.tick(ctx); }

    @Override public byte[] snapshot(String netns) { return socket.snapshot(netns); }

    @Override public void keepObjectJournal() { socket.keepObjectJournal(); }

    @Override public java.util.Map<String, byte[]> takeObjectChanges(String netns) { return socket.takeObjectChanges(netns); }

    @Override public java.util.Map<String, byte[]> objects(String netns) { return socket.objects(netns); }

    @Override
    public void restore(String netns, byte[] state) {
        restore(netns, state, java.util.Map.of());
    }

    /** A restored host's sockets are logged (fd, state, bytes queued both ways): what a host that moved brought along. */
    @Override
    public void restore(String netns, byte[] state, java.util.Map<String, byte[]> objects) {
        socket.restore(netns, state, objects);
        if (state == null) return;
        StringBuilder b = new StringBuilder();
        for (SocketLayer.BsdSocket s : socket.openSockets(netns)) {
            b.append(" fd ").append(s.fd).append(' ').append(s.proto).append(' ').append(s.state())
                    .append(" rcvq ").append(s.queuedBytes()).append(" unacked ").append(s.unackedBytes()).append(';');
        }
        log.info("{} restored:{}", netns, b);
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SocketAppsLayer.class);
}
