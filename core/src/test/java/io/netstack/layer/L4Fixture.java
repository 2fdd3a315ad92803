package io.netstack.layer;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.skb.PktType;
import io.netstack.skb.RouteResult;
import io.netstack.skb.SkBuff;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.StepContext;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Builds skbs in the shape of INET_PROTO_* (as ip_local_deliver_finish leaves them) from
 * whole frames, runs one layer visit, and reads back outputs, fates and counter deltas.
 */
public final class L4Fixture {

    public static final String NETNS = "h1";

    /** The host of the conformance scenarios: eth0 192.0.2.2/24, default via 192.0.2.1, and the given sockets. */
    public static HostConfig host(String sockets, String extraSysctl) {
        String yaml = ""
                + "interfaces:\n"
                + "  - name: eth0\n"
                + "    mac: \"02:00:00:00:00:01\"\n"
                + "    mtu: 1500\n"
                + "    addresses: [\"192.0.2.2/24\"]\n"
                + "routes:\n"
                + "  - {dst: \"0.0.0.0/0\", via: \"192.0.2.1\", dev: eth0}\n"
                + "neighbors:\n"
                + "  - {ip: \"192.0.2.1\", mac: \"02:00:00:00:00:99\", dev: eth0}\n"
                + "sysctl:\n"
                + "  net.ipv4.icmp_ratelimit: 0\n"
                + extraSysctl
                + (sockets.isEmpty() ? "sockets: []\n" : "sockets:\n" + sockets);
        return HostConfigParser.parse(yaml, "fixture", NETNS);
    }

    public static byte[] hex(String h) { return HexFormat.of().parseHex(h); }

    public static String hex(byte[] b) { return HexFormat.of().formatHex(b); }

    private static long nextId = 1000;

    /** An Ethernet frame as l3 delivers it: pulled to the transport header, trimmed to tot_len. */
    public static SkBuff delivered(byte[] frame, int rtType, PktType pktType) {
        SkBuff skb = SkBuff.ofFrame(nextId++, NETNS, frame.clone());
        skb.setDev("eth0");
        skb.setIif("eth0");
        skb.setPktType(pktType);
        skb.setMacHeader(0);
        skb.pull(14);
        skb.resetNetworkHeader();
        int ihl = (skb.u8(14) & 0x0f) * 4;
        int totLen = skb.u16(16);
        skb.trim(totLen);
        skb.pull(ihl);
        skb.resetTransportHeader();
        skb.cb().route = new RouteResult(rtType, "", 0, 1500, 0, true);
        return skb;
    }

    public static SkBuff local(String frameHex) {
        return delivered(hex(frameHex), RouteResult.RTN_LOCAL, PktType.PACKET_HOST);
    }

    /** An IPv4 frame from 02:..:99 to 02:..:01 around {@code l4}, with a valid header checksum. */
    public static byte[] frame(int saddr, int daddr, int proto, int tos, int fragOff, byte[] l4) {
        byte[] f = new byte[14 + 20 + l4.length];
        System.arraycopy(hex("020000000001020000000099" + "0800"), 0, f, 0, 14);
        f[14] = 0x45;
        f[15] = (byte) tos;
        Bytes.put16(f, 16, 20 + l4.length);
        Bytes.put16(f, 18, 0x1000);
        Bytes.put16(f, 20, fragOff);
        f[22] = 64;
        f[23] = (byte) proto;
        Bytes.put32(f, 26, saddr);
        Bytes.put32(f, 30, daddr);
        Bytes.put16(f, 24, InetChecksum.compute(f, 14, 20));
        System.arraycopy(l4, 0, f, 34, l4.length);
        return f;
    }

    /** One visit of a layer, and what came of it. */
    public static final class Visit {
        public final StepContext ctx;
        public final SkBuff in;

        Visit(StepContext ctx, SkBuff in) {
            this.ctx = ctx;
            this.in = in;
        }

        public List<StepContext.Output> outputs() { return ctx.outputs(); }

        public List<StepContext.Output> outputs(KernelQueue q) {
            return ctx.outputs().stream().filter(o -> o.queue() == q).toList();
        }

        /** The bytes from data to tail of the only output on {@code q}. */
        public byte[] only(KernelQueue q) {
            List<StepContext.Output> o = outputs(q);
            if (o.size() != 1) throw new AssertionError("expected one output on " + q + ", got " + o);
            return o.get(0).skb().dataBytes();
        }

        public Fate fate() { return fate(in.id()); }

        public Fate fate(long id) {
            for (SkbEvent e : ctx.events()) {
                if (e.skbId() == id) return e.fate();
            }
            return null;
        }

        /** Every SNMP counter moved in the visit, summed. */
        public Map<String, Long> counters() {
            Map<String, Long> m = new HashMap<>();
            for (SkbEvent e : ctx.events()) {
                for (SkbEvent.StatDelta d : e.stats()) {
                    if (!d.isLinkStat()) m.merge(d.name(), d.delta(), Long::sum);
                }
            }
            return m;
        }
    }

    public static Visit run(Layer layer, KernelQueue q, SkBuff skb, long nowNanos) {
        long[] ids = {1};
        StepContext ctx = new StepContext(layer.name(), "test", nowNanos, () -> ids[0]++);
        ctx.begin(skb);
        layer.receive(q, skb, ctx);
        return new Visit(ctx, skb);
    }

    public static Visit run(Layer layer, KernelQueue q, SkBuff skb) { return run(layer, q, skb, 1_000_000_000L); }

    private L4Fixture() {}
}
