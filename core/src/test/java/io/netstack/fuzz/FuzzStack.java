package io.netstack.fuzz;

import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.WireFrame;
import io.netstack.stats.Snmp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The in-process stack with the fuzz host (fuzz/host.yaml) and a {@link FateLedger} on its
 * events: inject a frame, move the clock, settle, and check the books.
 */
final class FuzzStack {

    static final String NETNS = "fuzz";
    static final long SECOND = 1_000_000_000L;

    final InProcessStack stack;
    final FateLedger ledger = new FateLedger();
    long injected;
    private long lastIndex = -1;

    FuzzStack(Consumer<WireFrame> onTransmit) {
        this(InProcessStack.create(), onTransmit);
    }

    /** With a stack of the caller's layers (the fuzz test's own tests). */
    FuzzStack(InProcessStack stack, Consumer<WireFrame> onTransmit) {
        this.stack = stack;
        stack.onEvent(ledger);
        if (onTransmit != null) stack.onTransmit(onTransmit);
        stack.configure(host());
    }

    static HostConfig host() {
        try (InputStream in = FuzzStack.class.getResourceAsStream("/fuzz/host.yaml")) {
            if (in == null) throw new IllegalStateException("fuzz/host.yaml is not on the test class path");
            return HostConfigParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "fuzz/host.yaml", NETNS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Frame {@code index} from the wire of {@code dev}; the stack runs until every queue is empty. */
    void inject(long index, String dev, byte[] frame, String how) {
        lastIndex = index;
        ledger.startAction(new FateLedger.Origin(index, dev, frame, how), true);
        injected++;
        stack.receiveFrame(new WireFrame(NETNS, dev, frame, stack.nowNanos()));
        ledger.endOfAction();
    }

    /** Moves the clock; the layers' timers that fall due run. */
    void advance(long nanos) {
        ledger.startAction(new FateLedger.Origin(lastIndex, null, null, "timer"), false);
        stack.advance(nanos);
        ledger.endOfAction();
    }

    /** Lets every timer run out (reassembly 30 s, ARP retries, SYN-ACK retransmits ~63 s, TIME_WAIT 60 s). */
    void settle() {
        for (int i = 0; i < 240; i++) advance(SECOND);
    }

    /**
     * Every invariant of the books after a settled run, as messages (empty: all hold). Only
     * what Linux guarantees: one fate per skb, veth's rx counting, the order the SNMP
     * counters are moved in along the receive path (a counter moved later on the path never
     * exceeds one moved on every packet before it).
     */
    List<String> violations() {
        FateLedger l = ledger;
        List<String> v = new ArrayList<>(l.problems());
        // 1. Every skb that entered or was spawned has exactly one fate; nothing in flight.
        if (l.entered + l.spawned != l.fates) v.add("entered " + l.entered + " + spawned " + l.spawned + " != fates " + l.fates);
        if (!l.inFlight().isEmpty()) {
            StringBuilder b = new StringBuilder(l.inFlight().size() + " skbs still in flight after settling:");
            l.inFlight().entrySet().stream().limit(5).forEach(e -> b.append("\n  skb ").append(e.getKey()).append(" from ").append(e.getValue()));
            v.add(b.toString());
        }
        if (!l.bornEqualsFated()) v.add("the skbs born and the skbs with a fate differ");
        // 2. Each injected frame entered at the NIC once; veth counts rx for exactly those netif_rx accepted.
        if (l.injectedSeen != injected) v.add("frames injected " + injected + " but entered at the NIC " + l.injectedSeen);
        long rxPackets = l.link("eth0", "rx_packets");
        if (rxPackets != l.nicAccepted) v.add("rx_packets " + rxPackets + " != frames the NIC passed on " + l.nicAccepted);
        if (rxPackets + l.nicDropped != injected) v.add("rx_packets " + rxPackets + " + NIC drops " + l.nicDropped + " != frames injected " + injected);
        if (l.link("eth0", "rx_bytes") != l.nicAcceptedBytes) v.add("rx_bytes " + l.link("eth0", "rx_bytes") + " != bytes of the frames accepted " + l.nicAcceptedBytes);
        if (l.link("eth0", "rx_errors") < l.link("eth0", "rx_length_errors")) v.add("rx_errors < rx_length_errors");
        // 3. veth counts tx for each frame it sends.
        if (l.link("eth0", "tx_packets") != l.transmitted) v.add("tx_packets " + l.link("eth0", "tx_packets") + " != frames transmitted " + l.transmitted);
        if (l.link("eth0", "tx_bytes") != l.transmittedBytes) v.add("tx_bytes " + l.link("eth0", "tx_bytes") + " != bytes transmitted " + l.transmittedBytes);
        // 4. SNMP: ip_rcv_core counts IpInReceives on every packet it looks at; the rest comes after.
        atMost(v, Snmp.IpInReceives, rxPackets, "rx_packets");
        for (String c : List.of(Snmp.IpInDelivers, Snmp.IpInHdrErrors, Snmp.IpInAddrErrors, Snmp.IpInUnknownProtos,
                Snmp.IpExtInTruncatedPkts, Snmp.IpReasmReqds, Snmp.IpForwDatagrams)) {
            atMost(v, c, l.counter(Snmp.IpInReceives), Snmp.IpInReceives);
        }
        atMost(v, Snmp.IpExtInCsumErrors, l.counter(Snmp.IpInHdrErrors), Snmp.IpInHdrErrors);
        atMost(v, Snmp.IpReasmOKs, l.counter(Snmp.IpReasmReqds), Snmp.IpReasmReqds);
        atMost(v, Snmp.IpReasmTimeout, l.counter(Snmp.IpReasmFails), Snmp.IpReasmFails);
        // 5. The protocol handlers run only on what ip_local_deliver hands them (IpInDelivers).
        long delivers = l.counter(Snmp.IpInDelivers);
        atMost(v, Snmp.TcpInSegs, delivers, Snmp.IpInDelivers);
        atMost(v, Snmp.IcmpInMsgs, delivers, Snmp.IpInDelivers);
        long udp = l.counter(Snmp.UdpInDatagrams) + l.counter(Snmp.UdpNoPorts) + l.counter(Snmp.UdpInErrors);
        if (udp > delivers) v.add("UdpInDatagrams + UdpNoPorts + UdpInErrors " + udp + " > IpInDelivers " + delivers);
        // 6. A checksum error is also an input error of its protocol.
        atMost(v, Snmp.TcpInCsumErrors, l.counter(Snmp.TcpInErrs), Snmp.TcpInErrs);
        atMost(v, Snmp.TcpInCsumErrors, l.counter(Snmp.TcpInSegs), Snmp.TcpInSegs);
        atMost(v, Snmp.UdpInCsumErrors, l.counter(Snmp.UdpInErrors), Snmp.UdpInErrors);
        atMost(v, Snmp.IcmpInCsumErrors, l.counter(Snmp.IcmpInErrors), Snmp.IcmpInErrors);
        // 7. No counter the receive path only adds to went below zero.
        l.counters.forEach((name, value) -> {
            if (value < 0 && !name.equals(Snmp.TcpCurrEstab)) v.add("counter " + name + " is negative: " + value);
        });
        l.links.forEach((name, value) -> {
            if (value < 0) v.add("link statistic " + name + " is negative: " + value);
        });
        return v;
    }

    private void atMost(List<String> v, String counter, long bound, String boundName) {
        long value = ledger.counter(counter);
        if (value > bound) v.add(counter + " " + value + " > " + boundName + " " + bound);
    }
}
