package io.netstack.replay;

import io.netstack.config.HostConfig;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import io.netstack.stats.LinkStat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Builds a {@link ReplayResult} from {@link SkbEvent}s: the ones the in-process stack hands
 * to its sinks, or the ones read back from the events topic, where the events of many hosts
 * may be interleaved (only those of this host's netns are taken). Counters are the sums of the
 * events' {@link SkbEvent.StatDelta}s, frames and socket data come from the fates.
 *
 * <p>Not thread-safe: feed it from one thread (or synchronize around {@link #accept}).
 */
public final class ReplayCollector implements Consumer<SkbEvent> {

    private final HostConfig host;
    private final String reference;
    private final List<ReplayResult.Transmitted> transmitted = new ArrayList<>();
    private final Map<String, Long> counters = new LinkedHashMap<>();
    private final Map<String, Map<LinkStat, Long>> links = new LinkedHashMap<>();
    /** Link statistics with a name LinkStat does not know: kept, reported when not zero. */
    private final Map<String, Map<String, Long>> otherLinks = new LinkedHashMap<>();
    private final Map<String, List<ReplayResult.Datagram>> udp = new LinkedHashMap<>();
    private final Map<String, Map<String, Connection>> tcp = new LinkedHashMap<>();
    private final Map<String, Long> fates = new LinkedHashMap<>();
    private final Map<String, Long> drops = new TreeMap<>();
    private long entered;
    private long spawned;
    /** Skbs born here without a fate yet, each with the kernel function it was last seen in. */
    private final Map<Long, String> unfated = new LinkedHashMap<>();
    /** Skbs that met their fate (a spawned skb's own events may be read before its parent's). */
    private final Set<Long> fated = new HashSet<>();
    /** When each input frame was injected (index = input number), on the clock of the events. */
    private final List<Long> inputTimes = new ArrayList<>();

    private static final class Connection {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        boolean eof;
    }

    public ReplayCollector(HostConfig host, String reference) {
        this.host = host;
        this.reference = reference;
        for (HostConfig.Interface itf : host.interfaces()) links.put(itf.name(), new EnumMap<>(LinkStat.class));
        for (HostConfig.SocketSpec s : host.sockets()) {
            if (s.proto().equals("udp")) udp.put(s.key(), new ArrayList<>());
            else tcp.put(s.key(), new LinkedHashMap<>());
        }
        for (String kind : List.of("Delivered", "Transmitted", "Dropped", "Consumed")) fates.put(kind, 0L);
    }

    public String netns() { return host.netns(); }

    /**
     * The driver injects the next input frame (0-based across all input files) at
     * {@code timeNanos}, on the clock the events carry (the driven clock in-process, the
     * wall clock for the distributed stack). A transmitted frame followed the last input
     * injected at or before its event's time, so events may arrive late or out of order.
     *
     * @return the input's index
     */
    public int beginInput(long timeNanos) {
        inputTimes.add(timeNanos);
        return inputTimes.size() - 1;
    }

    /** The index of the last input injected at or before {@code timeNanos}; -1 if none. */
    int inputBefore(long timeNanos) {
        for (int i = inputTimes.size() - 1; i >= 0; i--) {
            if (inputTimes.get(i) <= timeNanos) return i;
        }
        return -1;
    }

    @Override
    public void accept(SkbEvent e) {
        if (!host.netns().equals(e.netns())) return;
        if (e.entered()) entered++;
        spawned += e.spawned().size();
        for (SkbEvent.StatDelta d : e.stats()) {
            if (d.isLinkStat()) linkStat(d.dev(), d.name(), d.delta());
            else counters.merge(d.name(), d.delta(), Long::sum);
        }
        Fate f = e.fate();
        String lastSeen = e.trace().isEmpty() ? e.layer() : e.trace().get(e.trace().size() - 1).function();
        if (e.skbId() != 0) {
            if (f != null) {
                fated.add(e.skbId());
                unfated.remove(e.skbId());
            } else if (!fated.contains(e.skbId())) {
                unfated.put(e.skbId(), lastSeen);
            }
        }
        for (long child : e.spawned()) {
            if (!fated.contains(child)) unfated.putIfAbsent(child, lastSeen);
        }
        if (f == null) return;
        fates.merge(f.getClass().getSimpleName(), 1L, Long::sum);
        if (f instanceof Fate.Transmitted t) {
            transmitted.add(new ReplayResult.Transmitted(t.dev(), t.frame().clone(), inputBefore(e.timeNanos())));
        } else if (f instanceof Fate.Dropped d) {
            drops.merge(d.reason().name(), 1L, Long::sum);
        } else if (f instanceof Fate.Delivered d) {
            delivered(d);
        }
    }

    private void linkStat(String dev, String name, long delta) {
        LinkStat stat;
        try {
            stat = LinkStat.valueOf(name);
        } catch (IllegalArgumentException unknown) {
            otherLinks.computeIfAbsent(dev, k -> new LinkedHashMap<>()).merge(name, delta, Long::sum);
            return;
        }
        links.computeIfAbsent(dev, k -> new EnumMap<>(LinkStat.class)).merge(stat, delta, Long::sum);
    }

    private void delivered(Fate.Delivered d) {
        List<ReplayResult.Datagram> q = udp.get(d.socket());
        if (q != null) {
            q.add(new ReplayResult.Datagram(d.peer(), d.payload() == null ? new byte[0] : d.payload().clone()));
            return;
        }
        if (tcp.containsKey(d.socket())) {
            tcpData(d.socket(), d.peer(), d.payload());
        }
        // Delivered to a socket host.yaml does not open: nothing reads it, as on Linux.
    }

    /**
     * A connection from {@code peer} was accepted on {@code listener} (a SocketSpec key), or
     * more bytes were read from it: a Delivered to a TCP listener's key with the peer.
     * An empty payload only announces the connection.
     */
    public void tcpData(String listener, String peer, byte[] payload) {
        Map<String, Connection> conns = tcp.get(listener);
        if (conns == null) return;
        Connection c = conns.computeIfAbsent(peer, p -> new Connection());
        if (payload != null) c.data.writeBytes(payload);
    }

    /** The peer closed the connection (the application's read returned 0). */
    public void tcpEof(String listener, String peer) {
        Map<String, Connection> conns = tcp.get(listener);
        if (conns == null) return;
        conns.computeIfAbsent(peer, p -> new Connection()).eof = true;
    }

    /** entered + spawned - fates so far: a caller reading the events topic waits for zero. */
    public long inFlight() {
        long f = 0;
        for (long v : fates.values()) f += v;
        return entered + spawned - f;
    }

    /** The skbs born here that have no fate yet, each with the kernel function it was last seen in. */
    public Map<Long, String> unfated() {
        return new LinkedHashMap<>(unfated);
    }

    /** The result as it stands now. */
    public ReplayResult result() {
        Map<String, Long> cs = new LinkedHashMap<>();
        counters.forEach((k, v) -> {
            if (v != 0) cs.put(k, v);
        });
        Map<String, Map<String, Long>> ls = new LinkedHashMap<>();
        links.forEach((dev, stats) -> {
            Map<String, Long> m = new LinkedHashMap<>();
            for (LinkStat s : LinkStat.values()) {
                long v = stats.getOrDefault(s, 0L);
                if (LinkStat.ALWAYS_REPORTED.contains(s) || v != 0) m.put(s.name(), v);
            }
            otherLinks.getOrDefault(dev, Map.of()).forEach((k, v) -> {
                if (v != 0) m.put(k, v);
            });
            ls.put(dev, m);
        });
        List<ReplayResult.SocketResult> sockets = new ArrayList<>();
        for (HostConfig.SocketSpec s : host.sockets()) {
            String at = s.key().substring(s.proto().length() + 1);
            if (s.proto().equals("udp")) {
                sockets.add(new ReplayResult.UdpSocket(at, List.copyOf(udp.get(s.key()))));
            } else {
                List<ReplayResult.TcpConnection> conns = new ArrayList<>();
                tcp.get(s.key()).forEach((peer, c) -> conns.add(new ReplayResult.TcpConnection(peer, c.data.toByteArray(), c.eof)));
                sockets.add(new ReplayResult.TcpListener(at, s.backlog(), conns));
            }
        }
        return new ReplayResult(reference, List.copyOf(transmitted), cs, ls, sockets,
                new ReplayResult.Accounting(entered, spawned, new LinkedHashMap<>(fates), new LinkedHashMap<>(drops)));
    }
}
