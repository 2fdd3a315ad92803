package io.netstack.replay;

import java.util.List;
import java.util.Map;

/**
 * What a replayed host did, in the shape of expected.json (conformance/README.md):
 * the frames it transmitted, its non-zero SNMP counters, its link statistics, what its
 * sockets received; and beside it the fate accounting that proves nothing was lost.
 *
 * @param reference   who produced the result ("netstack in-process"), expected.json's "reference"
 * @param transmitted in transmit order, across interfaces
 * @param counters    nstat name to value; zeros omitted
 * @param links       interface to statistic to value: the ten of LinkStat.ALWAYS_REPORTED
 *                    always, any other only when not zero
 * @param sockets     the host's sockets in host.yaml's order
 */
public record ReplayResult(String reference, List<Transmitted> transmitted, Map<String, Long> counters,
                           Map<String, Map<String, Long>> links, List<SocketResult> sockets,
                           Accounting accounting) {

    /**
     * A frame that left the host.
     *
     * @param afterInput the index (0-based, across all input files) of the input frame it
     *                   followed; -1 before any. The synthetic pcap timestamp derives from it.
     */
    public record Transmitted(String iface, byte[] frame, int afterInput) {}

    /** What one socket of host.yaml received. */
    public sealed interface SocketResult permits UdpSocket, TcpListener {}

    /** {"proto":"udp","bind":"a:p","received":[...]} */
    public record UdpSocket(String bind, List<Datagram> received) implements SocketResult {}

    /** One datagram as the application's recvfrom saw it. */
    public record Datagram(String from, byte[] payload) {}

    /** {"proto":"tcp","listen":"a:p","backlog":n,"connections":[...]} */
    public record TcpListener(String listen, int backlog, List<TcpConnection> connections) implements SocketResult {}

    /**
     * One connection accepted on a listener, in accept order: the bytes read from it and
     * whether the peer closed it (read returned 0).
     */
    public record TcpConnection(String from, byte[] data, boolean eof) {}

    /**
     * The fate ledger (DESIGN.md principle 3): every skb that entered or was spawned has one
     * fate, or is still in flight.
     *
     * @param fates     by kind: Delivered, Transmitted, Dropped, Consumed
     * @param drops     by SKB_DROP_REASON name
     * @param held      the skbs without a fate when the result was taken: where each was held
     *                  and the fate it met when the clock ran on (what the replay could find out)
     */
    public record Accounting(long entered, long spawned, Map<String, Long> fates, Map<String, Long> drops,
                             List<Held> held) {

        public Accounting(long entered, long spawned, Map<String, Long> fates, Map<String, Long> drops) {
            this(entered, spawned, fates, drops, List.of());
        }

        public long fateCount() {
            return fates.values().stream().mapToLong(Long::longValue).sum();
        }

        /** entered + spawned - fates: zero once every skb has met its end. */
        public long inFlight() {
            return entered + spawned - fateCount();
        }

        /** The skbs in flight at the end that no later fate accounts for: lost, unless the replay could not wait. */
        public long unaccounted() {
            return inFlight() - held.stream().filter(h -> h.laterFate() != null).count();
        }

        public Accounting withHeld(List<Held> held) {
            return new Accounting(entered, spawned, fates, drops, List.copyOf(held));
        }
    }

    /**
     * An skb without a fate when the result was taken (after settle_ms), as Linux too would
     * still hold it then: on a neighbour's arp_queue waiting for ARP, in a reassembly queue
     * waiting for fragments. Not lost: its fate comes when a timer fires, after the window
     * the scenario looks at.
     *
     * @param heldIn         the kernel function it was last seen in
     * @param laterFate      the fate it met when the clock ran on ("Dropped NEIGH_FAILED in
     *                       __icmp_send"); null if none came (then it may be lost)
     * @param laterFateNanos how long after the result was taken that fate came
     */
    public record Held(long skbId, String heldIn, String laterFate, long laterFateNanos) {

        /** Where an skb waits when it was last seen in {@code function}, and what ends the wait. */
        public static String whereHeld(String function) {
            return switch (function) {
                case "__neigh_event_send" -> "on a neighbour's arp_queue until ARP resolves the next hop"
                        + " (neigh_invalidate frees it once the probes are out)";
                case "inet_frag_queue_insert" -> "in an IPv4 reassembly queue until the missing fragments come"
                        + " (ip_expire frees it after net.ipv4.ipfrag_time)";
                default -> "held in " + function;
            };
        }

        /** One line for a report: what it is, where it waited, how it ended. */
        public String describe() {
            String where = "skb " + skbId + " held past settle_ms in " + heldIn + ", " + whereHeld(heldIn);
            if (laterFate == null) return where + ": no fate came after it, it may be LOST";
            return where + ": " + laterFate + String.format(" %.1f s later, not lost", laterFateNanos / 1e9);
        }
    }
}
