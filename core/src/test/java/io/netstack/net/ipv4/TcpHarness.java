package io.netstack.net.ipv4;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.layer.L4Layer;
import io.netstack.layer.SocketLayer;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.LayerContext;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.StepContext;
import io.netstack.wire.Bytes;
import io.netstack.wire.Inet;
import io.netstack.wire.InetChecksum;
import io.netstack.wire.TcpHeader;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * l4 and the socket layer of one or more hosts with no l3: what a host puts on IP_LOCAL_OUT
 * is captured (and, between two hosts, wrapped in an IPv4 header and handed to the other
 * host's INET_PROTO_* as ip_local_deliver_finish would). Driven clock; counters summed per
 * host; segments printed tcpdump-style.
 */
final class TcpHarness {

    final L4Layer l4 = new L4Layer();
    final SocketLayer sock = new SocketLayer();
    long now = 1_000_000_000L;
    private long nextId = 1;
    private final Deque<StepContext.Output> fifo = new ArrayDeque<>();
    /** Every segment a host sent, in order: netns -> IPv4-less TCP segments. */
    final List<Sent> sent = new ArrayList<>();
    final Map<String, Map<String, Long>> counters = new HashMap<>();
    final Map<String, String> peerOf = new HashMap<>();
    final Map<String, Integer> addrOf = new HashMap<>();
    /** Decides for each segment whether the wire loses it. */
    Predicate<Sent> lose = s -> false;
    final List<String> log = new ArrayList<>();
    /** Every drop: netns, fate, trace. */
    final List<String> drops = new ArrayList<>();
    /** Skbs whose visit ended with neither a fate nor a queue: always a bug. */
    final List<String> fateless = new ArrayList<>();
    boolean logging;
    /**
     * The cable: what a host sent goes to its peer at once unless {@link #lose} says otherwise;
     * a test may lay its own (delay, jitter, duplication) and hand frames in with {@link #arrive}.
     */
    Consumer<Sent> cable = this::deliverNow;

    record Sent(String netns, int saddr, int daddr, int proto, byte[] l4, long at, boolean df) {
        Sent(String netns, int saddr, int daddr, int proto, byte[] l4, long at) {
            this(netns, saddr, daddr, proto, l4, at, false);
        }

        TcpHeader th() { return new TcpHeader(l4, 0); }
        int payloadLen() { return l4.length - th().doff() * 4; }
        byte[] payload() { return java.util.Arrays.copyOfRange(l4, th().doff() * 4, l4.length); }
    }

    static HostConfig host(String netns, String addr, String sockets, String sysctl) {
        String yaml = ""
                + "interfaces:\n"
                + "  - name: eth0\n"
                + "    mac: \"02:00:00:00:00:01\"\n"
                + "    mtu: 1500\n"
                + "    addresses: [\"" + addr + "/24\"]\n"
                + "sysctl:\n"
                + sysctl
                + (sockets.isEmpty() ? "sockets: []\n" : "sockets:\n" + sockets);
        return HostConfigParser.parse(yaml, "harness", netns);
    }

    void add(HostConfig h) {
        l4.configure(h);
        sock.configure(h);
        addrOf.put(h.netns(), h.interfaces().get(0).addresses().get(0).address());
    }

    void wire(String a, String b) {
        peerOf.put(a, b);
        peerOf.put(b, a);
    }

    /** The fds of a connection made through the socket API: the client's and the one the server accepted. */
    record Connection(int client, int server) {}

    /**
     * {@code server} listens on {@code port} (backlog 16), {@code client} connects to it and the
     * server accepts: the connection, established, as the API's fds. Both hosts are added and wired.
     */
    Connection connect(String client, String server, int port) {
        int lfd = (int) call(c -> sock.socketCreate(server, "tcp")).value();
        call(c -> sock.bind(c, server, lfd, 0, port));
        call(c -> sock.listen(c, server, lfd, 16));
        int cfd = (int) call(c -> sock.socketCreate(client, "tcp")).value();
        call(c -> sock.connect(c, client, cfd, addrOf.get(server), port));
        return new Connection(cfd, (int) call(c -> sock.accept(c, server, lfd)).value());
    }

    private StepContext ctx(String layer) { return new StepContext(layer, "test", now, () -> nextId++); }

    /** A socket API call in its own visit, then the stack runs until quiet. */
    <T> T call(Function<LayerContext, T> action) {
        StepContext c = ctx("socket");
        T r = action.apply(c);
        finish(c);
        drain();
        return r;
    }

    /** A segment from the wire (the peer in a packetdrill test) into host {@code netns}. */
    void inject(String netns, int saddr, int daddr, byte[] tcp) {
        arrive(netns, saddr, daddr, 6, tcp);
    }

    /** A transport segment from the wire into host {@code netns}; the stack runs until quiet. */
    void arrive(String netns, int saddr, int daddr, int proto, byte[] l4) {
        KernelQueue q = proto == 6 ? KernelQueue.INET_PROTO_TCP : KernelQueue.INET_PROTO_UDP;
        fifo.add(new StepContext.Output(q, delivered(netns, saddr, daddr, proto, l4)));
        drain();
    }

    /** The default cable: straight to the peer, unless lost. */
    private void deliverNow(Sent s) {
        String peer = peerOf.get(s.netns());
        if (peer != null && !lose.test(s)) {
            KernelQueue q = s.proto() == 6 ? KernelQueue.INET_PROTO_TCP : KernelQueue.INET_PROTO_UDP;
            fifo.add(new StepContext.Output(q, delivered(peer, s.saddr(), s.daddr(), s.proto(), s.l4())));
        }
    }

    /** Moves the clock and runs the timers due. */
    void advance(long nanos) {
        long target = now + nanos;
        while (true) {
            long next = Long.MAX_VALUE;
            for (String n : addrOf.keySet()) next = Math.min(next, l4.host(n).tcp().nextDeadline());
            if (next > target) break;
            now = Math.max(now, next);
            tick();
        }
        now = target;
        tick();
    }

    private void tick() {
        StepContext c = ctx("l4");
        l4.tick(c);
        finish(c);
        drain();
    }

    void advanceMs(long ms) { advance(ms * 1_000_000L); }

    private void finish(StepContext c) {
        fifo.addAll(c.outputs());
        for (SkbEvent e : c.events()) {
            if (e.skbId() != 0 && e.fate() == null && e.queue().isEmpty()) fateless.add(e.netns() + " skb " + e.skbId() + " " + e.trace());
            if (e.fate() instanceof io.netstack.stack.Fate.Dropped d) drops.add(e.netns() + " " + d + " " + e.trace());
            for (SkbEvent.StatDelta d : e.stats()) {
                if (!d.isLinkStat()) counters.computeIfAbsent(e.netns(), k -> new HashMap<>()).merge(d.name(), d.delta(), Long::sum);
            }
        }
    }

    private void drain() {
        StepContext.Output o;
        while ((o = fifo.poll()) != null) {
            SkBuff skb = o.skb();
            switch (o.queue()) {
                case IP_LOCAL_OUT: {
                    int saddr = skb.cb().saddr != 0 ? skb.cb().saddr : addrOf.get(skb.netns());
                    Sent s = new Sent(skb.netns(), saddr, skb.cb().daddr, skb.cb().ipProtocol, skb.dataBytes(), now, skb.cb().df);
                    sent.add(s);
                    if (logging) log.add(now / 1_000_000 + "ms " + tcpdump(s));
                    cable.accept(s);
                    break;
                }
                case SK_SENDMSG:
                case INET_PROTO_TCP:
                case INET_PROTO_UDP: {
                    StepContext c = ctx("l4");
                    c.begin(skb);
                    l4.receive(o.queue(), skb, c);
                    finish(c);
                    break;
                }
                case SK_RECEIVE_QUEUE: {
                    StepContext c = ctx("socket");
                    c.begin(skb);
                    sock.receive(o.queue(), skb, c);
                    finish(c);
                    break;
                }
                default:
                    throw new AssertionError("unexpected queue " + o.queue());
            }
        }
    }

    /** An skb as ip_local_deliver_finish hands it to l4: data at the transport header. */
    SkBuff delivered(String netns, int saddr, int daddr, int proto, byte[] l4) {
        byte[] f = new byte[20 + l4.length];
        f[0] = 0x45;
        Bytes.put16(f, 2, f.length);
        Bytes.put16(f, 6, 0x4000);
        f[8] = 64;
        f[9] = (byte) proto;
        Bytes.put32(f, 12, saddr);
        Bytes.put32(f, 16, daddr);
        Bytes.put16(f, 10, InetChecksum.compute(f, 0, 20));
        System.arraycopy(l4, 0, f, 20, l4.length);
        SkBuff skb = SkBuff.ofFrame(nextId++, netns, f);
        skb.setDev("eth0");
        skb.setIif("eth0");
        skb.setPktType(PktType.PACKET_HOST);
        skb.resetNetworkHeader();
        skb.pull(20);
        skb.resetTransportHeader();
        skb.cb().route = new RouteResult(RouteResult.RTN_LOCAL, "", 0, 1500, 0, true);
        return skb;
    }

    long counter(String netns, String name) {
        return counters.getOrDefault(netns, Map.of()).getOrDefault(name, 0L);
    }

    Map<String, Long> snapshot(String netns) { return new HashMap<>(counters.getOrDefault(netns, Map.of())); }

    /** Counter deltas since {@code before}. */
    Map<String, Long> delta(String netns, Map<String, Long> before) {
        Map<String, Long> d = new HashMap<>();
        counters.getOrDefault(netns, Map.of()).forEach((k, v) -> {
            long x = v - before.getOrDefault(k, 0L);
            if (x != 0) d.put(k, x);
        });
        return d;
    }

    /** The segments sent since index {@code from}. */
    List<Sent> sentSince(int from) { return new ArrayList<>(sent.subList(from, sent.size())); }

    /** tcpdump -S style: "10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], seq 1, ack 2, win 65535, length 0". */
    static String tcpdump(Sent s) {
        if (s.proto() != 6) return Inet.format(s.saddr()) + " > " + Inet.format(s.daddr()) + " proto " + s.proto();
        TcpHeader th = s.th();
        StringBuilder f = new StringBuilder();
        if (th.syn()) f.append('S');
        if (th.fin()) f.append('F');
        if (th.rst()) f.append('R');
        if ((th.flags() & TcpHeader.PSH) != 0) f.append('P');
        if (th.ack()) f.append('.');
        return Inet.format(s.saddr()) + "." + th.source() + " > " + Inet.format(s.daddr()) + "." + th.dest()
                + ": Flags [" + f + "], seq " + Integer.toUnsignedString(th.seq())
                + (s.payloadLen() > 0 ? ":" + Integer.toUnsignedString(th.seq() + s.payloadLen()) : "")
                + (th.ack() ? ", ack " + Integer.toUnsignedString(th.ackSeq()) : "")
                + ", win " + th.window() + ", options " + th.options() + ", length " + s.payloadLen();
    }

    static String tcpdump(List<Sent> l) {
        StringBuilder b = new StringBuilder();
        for (Sent s : l) b.append(tcpdump(s)).append('\n');
        return b.toString();
    }

    static Random seeded(long seed) { return new Random(seed); }
}
