package io.netstack.net.ipv4;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.layer.L3Layer;
import io.netstack.skb.PktType;
import io.netstack.skb.SkBuff;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.StepContext;
import io.netstack.wire.Bytes;
import io.netstack.wire.Ipv4Header;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Drives an L3Layer directly with StepContexts on a hand-moved clock, and records what it did. */
final class L3Fixture {

    static final String NETNS = "h1";
    static final long SEC = 1_000_000_000L;

    final L3Layer layer;
    long now = 1000 * SEC;
    long nextId = 1;
    final List<StepContext.Output> outputs = new ArrayList<>();
    final List<SkbEvent> events = new ArrayList<>();

    L3Fixture(String yaml) {
        this(yaml, new L3Layer());
    }

    L3Fixture(String yaml, L3Layer layer) {
        this.layer = layer;
        HostConfig host = HostConfigParser.parse(yaml, "test", NETNS);
        layer.configure(host);
    }

    static byte[] hex(String s) { return HexFormat.of().parseHex(s.replaceAll("\\s", "")); }

    static String hex(byte[] b) { return HexFormat.of().formatHex(b); }

    /** An skb as PTYPE_IP/PTYPE_ARP carry it: data at the network header after the 14-byte Ethernet header. */
    SkBuff fromWire(byte[] frame, String dev, PktType type) {
        SkBuff skb = SkBuff.ofFrame(nextId++, NETNS, frame);
        skb.setMacHeader(0);
        skb.setProtocol(Bytes.u16(frame, 12));
        skb.pull(14);
        skb.resetNetworkHeader();
        skb.setDev(dev);
        skb.setIif(dev);
        skb.setPktType(type);
        return skb;
    }

    /** A segment as l4 hands it on IP_LOCAL_OUT. */
    SkBuff localOut(byte[] transport, int daddr, int proto, boolean df) {
        SkBuff skb = SkBuff.alloc(nextId++, NETNS, SkBuff.DEFAULT_HEADROOM, transport.length);
        skb.putData(transport);
        skb.resetTransportHeader();
        skb.cb().daddr = daddr;
        skb.cb().ipProtocol = proto;
        skb.cb().df = df;
        return skb;
    }

    StepContext deliver(KernelQueue q, SkBuff skb) {
        StepContext ctx = new StepContext("l3", "test", now, () -> nextId++);
        ctx.begin(skb);
        layer.receive(q, skb, ctx);
        collect(ctx);
        return ctx;
    }

    StepContext advance(long nanos) {
        now += nanos;
        StepContext ctx = new StepContext("l3", "test", now, () -> nextId++);
        layer.tick(ctx);
        collect(ctx);
        return ctx;
    }

    private void collect(StepContext ctx) {
        outputs.addAll(ctx.outputs());
        events.addAll(ctx.events());
    }

    /** Sum of every SNMP counter moved so far. */
    Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (SkbEvent e : events) {
            for (SkbEvent.StatDelta d : e.stats()) {
                if (!d.isLinkStat()) m.merge(d.name(), d.delta(), Long::sum);
            }
        }
        m.values().removeIf(v -> v == 0);
        return m;
    }

    Map<String, Long> linkStats() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (SkbEvent e : events) {
            for (SkbEvent.StatDelta d : e.stats()) {
                if (d.isLinkStat()) m.merge(d.dev() + "." + d.name(), d.delta(), Long::sum);
            }
        }
        return m;
    }

    List<Fate> fates() {
        List<Fate> f = new ArrayList<>();
        for (SkbEvent e : events) if (e.fate() != null) f.add(e.fate());
        return f;
    }

    Fate fateOf(SkBuff skb) {
        for (SkbEvent e : events) if (e.skbId() == skb.id() && e.fate() != null) return e.fate();
        return null;
    }

    /** The frames handed to DEV_QUEUE_XMIT, as hex, in order. */
    List<String> xmitHex() {
        List<String> l = new ArrayList<>();
        for (StepContext.Output o : outputs) {
            if (o.queue() == KernelQueue.DEV_QUEUE_XMIT) l.add(o.skb().dev() + " " + hex(o.skb().dataBytes()));
        }
        return l;
    }

    List<StepContext.Output> on(KernelQueue q) {
        List<StepContext.Output> l = new ArrayList<>();
        for (StepContext.Output o : outputs) if (o.queue() == q) l.add(o);
        return l;
    }

    /** An Ethernet + IPv4 frame: dst/src MAC, then a header (checksum filled) and payload. */
    static byte[] ipFrame(String dstMac, String srcMac, int tos, int id, int fragOff, int ttl, int proto,
                          int saddr, int daddr, byte[] payload) {
        byte[] f = new byte[14 + 20 + payload.length];
        io.netstack.wire.MacAddress.parse(dstMac).write(f, 0);
        io.netstack.wire.MacAddress.parse(srcMac).write(f, 6);
        Bytes.put16(f, 12, 0x0800);
        Ipv4Header.write(f, 14, tos, 20 + payload.length, id, fragOff, ttl, proto, saddr, daddr);
        System.arraycopy(payload, 0, f, 34, payload.length);
        return f;
    }
}
