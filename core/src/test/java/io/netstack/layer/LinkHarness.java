package io.netstack.layer;

import io.netstack.config.HostConfig;
import io.netstack.config.Sysctls;
import io.netstack.skb.SkBuff;
import io.netstack.stack.Fate;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.StepContext;
import io.netstack.stack.WireFrame;
import io.netstack.wire.MacAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The nic and softirq layers driven visit by visit through StepContexts, no other layer. */
final class LinkHarness {

    static final String NETNS = "h1";
    static final MacAddress OUR_MAC = MacAddress.parse("02:00:00:00:00:01");

    final NicLayer nic;
    final SoftirqLayer softirq;
    private long nextId = 1;

    LinkHarness(int cpus) {
        nic = new NicLayer(cpus);
        softirq = new SoftirqLayer(cpus);
    }

    LinkHarness() { this(NicLayer.DEFAULT_CPUS); }

    static HostConfig host(boolean promisc, int txqueuelen, Map<String, String> sysctls) {
        HostConfig.Interface eth0 = new HostConfig.Interface("eth0", OUR_MAC, 1500, List.of(), promisc, txqueuelen);
        return new HostConfig(NETNS, List.of(eth0), List.of(), List.of(), new Sysctls(sysctls), List.of(), "", "");
    }

    LinkHarness configure(HostConfig host) {
        nic.configure(host);
        softirq.configure(host);
        return this;
    }

    /** Where an skb ended after the link layer: the queue it left on (null if it has a fate), its fate, what moved. */
    record Result(KernelQueue queue, SkBuff skb, Fate fate, Map<String, Long> linkStats,
                  Map<String, Long> counters, List<String> trace) {
        long link(String stat) { return linkStats.getOrDefault("eth0." + stat, 0L); }
    }

    /** A frame from the wire of {@code dev}, through the NIC and, if it reaches the backlog, the softirq. */
    Result rx(String dev, byte[] frame) {
        Acc acc = new Acc();
        StepContext c = ctx("nic");
        nic.receiveFrame(new WireFrame(NETNS, dev, frame, 0), c);
        acc.add(c);
        if (c.outputs().isEmpty()) return acc.result(null, acc.only);
        StepContext.Output out = c.outputs().get(0);
        if (out.queue() != KernelQueue.BACKLOG) throw new AssertionError("nic wrote " + out.queue());
        return pass(acc, KernelQueue.BACKLOG, out.skb());
    }

    Result rx(byte[] frame) { return rx("eth0", frame); }

    /** A finished frame to dev_queue_xmit, through the qdisc and, if it reaches the driver, veth_xmit. */
    Result tx(SkBuff skb) {
        return pass(new Acc(), KernelQueue.DEV_QUEUE_XMIT, skb);
    }

    private Result pass(Acc acc, KernelQueue queue, SkBuff skb) {
        acc.only = skb;
        StepContext c = ctx(queue.layer());
        c.begin(skb);
        (queue.layer().equals("nic") ? (io.netstack.stack.Layer) nic : softirq).receive(queue, skb, c);
        acc.add(c);
        if (c.outputs().isEmpty()) return acc.result(null, skb);
        StepContext.Output out = c.outputs().get(0);
        if (out.queue() == KernelQueue.HARD_START_XMIT) return pass(acc, out.queue(), out.skb());
        return acc.result(out.queue(), out.skb());
    }

    private StepContext ctx(String layer) { return new StepContext(layer, "test", 0, () -> nextId++); }

    SkBuff frameSkb(byte[] frame) {
        SkBuff skb = SkBuff.alloc(nextId++, NETNS, 0, frame.length);
        skb.putData(frame);
        skb.setDev("eth0");
        return skb;
    }

    private static final class Acc {
        final Map<String, Long> links = new TreeMap<>();
        final Map<String, Long> counters = new TreeMap<>();
        final List<String> trace = new ArrayList<>();
        Fate fate;
        SkBuff only;

        void add(StepContext c) {
            for (SkbEvent e : c.events()) {
                for (SkbEvent.StatDelta d : e.stats()) {
                    (d.isLinkStat() ? links : counters).merge(d.isLinkStat() ? d.dev() + "." + d.name() : d.name(), d.delta(), Long::sum);
                }
                e.trace().forEach(t -> trace.add(t.function()));
                if (e.fate() != null) {
                    if (fate != null) throw new AssertionError("two fates: " + fate + ", " + e.fate());
                    fate = e.fate();
                }
            }
            if (only == null && !c.outputs().isEmpty()) only = c.outputs().get(0).skb();
        }

        Result result(KernelQueue q, SkBuff skb) {
            if ((q == null) == (fate == null)) throw new AssertionError("queue " + q + " and fate " + fate);
            return new Result(q, skb, fate, links, counters, trace);
        }
    }
}
