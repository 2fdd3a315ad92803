package io.netstack.replay;

import java.util.List;
import java.util.Map;

/**
 * What a replayed host did, in the shape of expected.json (shared/conformance/FORMAT.md):
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
     */
    public record Accounting(long entered, long spawned, Map<String, Long> fates, Map<String, Long> drops) {
        public long fateCount() {
            return fates.values().stream().mapToLong(Long::longValue).sum();
        }

        /** entered + spawned - fates: zero once every skb has met its end. */
        public long inFlight() {
            return entered + spawned - fateCount();
        }
    }
}
