package io.netstack.layer;

import io.netstack.config.HostConfig;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import io.netstack.stats.Snmp;
import io.netstack.wire.Inet;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The socket layer: each host's socket table (host.yaml's sockets) and their receive queues,
 * with the receive-buffer bound of __udp_enqueue_schedule_skb (net/ipv4/udp.c).
 *
 * <p>sk_rcvbuf is net.core.rmem_default; each datagram is charged its truesize (see
 * {@link #truesize}) to sk_rmem_alloc until it is read. UdpInDatagrams: Linux counts it in
 * udp_recvmsg when the application reads the datagram; the conformance harness reads every
 * queued datagram, so it is counted here when the datagram is queued.
 */
public final class SocketLayer implements Layer {

    /** A datagram in a socket's receive queue: the peer, the local address, the payload. */
    public record Datagram(int saddr, int sport, int daddr, int dport, byte[] payload, int truesize) {
        public String from() { return Inet.format(saddr) + ":" + sport; }
    }

    /** struct sock, reduced: its key, sk_rcvbuf, sk_rmem_alloc, sk_drops and sk_receive_queue. */
    public static final class Sock {
        private final HostConfig.SocketSpec spec;
        private final int rcvbuf;
        private long rmemAlloc;
        private long drops;
        private final Deque<Datagram> queue = new ArrayDeque<>();

        Sock(HostConfig.SocketSpec spec, int rcvbuf) {
            this.spec = spec;
            this.rcvbuf = rcvbuf;
        }

        public HostConfig.SocketSpec spec() { return spec; }
        public String key() { return spec.key(); }
        public int rcvbuf() { return rcvbuf; }
        public synchronized long rmemAlloc() { return rmemAlloc; }
        public synchronized long drops() { return drops; }
        public synchronized List<Datagram> queued() { return List.copyOf(queue); }

        /** recvmsg: takes the oldest datagram and uncharges it; null if none. */
        public synchronized Datagram recv() {
            Datagram d = queue.poll();
            if (d != null) rmemAlloc -= d.truesize();
            return d;
        }
    }

    private final Map<String, Map<String, Sock>> hosts = new ConcurrentHashMap<>();

    @Override public String name() { return "socket"; }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.SK_RECEIVE_QUEUE); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        Map<String, Sock> socks = hosts.get(skb.netns());
        Sock sk = socks == null || skb.cb().socket == null ? null : socks.get(skb.cb().socket);
        if (sk == null) {
            // The socket went away between lookup and queueing (a new configuration closed it).
            ctx.trace(skb, "sock_queue_rcv_skb");
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return;
        }
        udpEnqueueScheduleSkb(ctx, sk, skb);
    }

    /**
     * __udp_enqueue_schedule_skb, net/ipv4/udp.c (6.18): drop when sk_rmem_alloc + truesize
     * exceeds sk_rcvbuf, unless the queue is empty; the failure counts UdpRcvbufErrors and
     * UdpInErrors (__udp_queue_rcv_skb) and drops with SOCKET_RCVBUFF.
     */
    void udpEnqueueScheduleSkb(LayerContext ctx, Sock sk, SkBuff skb) {
        ctx.trace(skb, "__udp_enqueue_schedule_skb");
        int size = truesize(skb);
        byte[] payload = skb.dataBytes();
        synchronized (sk) {
            long rmem = sk.rmemAlloc;
            if (rmem + size > sk.rcvbuf && (sk.rcvbuf > (Integer.MAX_VALUE >> 1) || rmem != 0)) {
                sk.drops++;
                ctx.count(skb, Snmp.UdpRcvbufErrors);
                ctx.count(skb, Snmp.UdpInErrors);
                ctx.drop(skb, SkbDropReason.SOCKET_RCVBUFF);
                return;
            }
            sk.rmemAlloc += size;
            sk.queue.add(new Datagram(skb.cb().saddr, skb.cb().sport, skb.cb().daddr, skb.cb().dport, payload, size));
        }
        ctx.count(skb, Snmp.UdpInDatagrams);
        ctx.deliver(skb, sk.key(), Inet.format(skb.cb().saddr) + ":" + skb.cb().sport, payload);
    }

    /**
     * skb->truesize as Linux charges it for a received frame: the kmalloc'ed head (the frame
     * plus NET_SKB_PAD headroom, cache-aligned, plus struct skb_shared_info, rounded up to the
     * kmalloc size class) plus struct sk_buff (SKB_TRUESIZE, x86-64 sizes). A small datagram
     * costs 768 bytes, as on a typical x86-64 host.
     */
    static int truesize(SkBuff skb) {
        int start = skb.macHeader() >= 0 ? skb.macHeader() : (skb.networkHeader() >= 0 ? skb.networkHeader() : skb.data());
        int frame = Math.max(0, skb.tail() - start);
        int data = align(64 + frame, 64) + 320;
        return kmallocSize(data) + 256;
    }

    private static int align(int v, int a) { return (v + a - 1) / a * a; }

    private static int kmallocSize(int n) {
        int[] classes = {64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192};
        for (int c : classes) if (n <= c) return c;
        return Integer.highestOneBit(n - 1) << 1;
    }

    /** The sockets of a host, in host.yaml order. */
    public List<Sock> sockets(String netns) {
        Map<String, Sock> socks = hosts.get(netns);
        return socks == null ? List.of() : List.copyOf(socks.values());
    }

    /** One socket by key ("udp 0.0.0.0:5353"), or null. */
    public Sock socket(String netns, String key) {
        Map<String, Sock> socks = hosts.get(netns);
        return socks == null ? null : socks.get(key);
    }

    @Override
    public void configure(HostConfig host) {
        int rcvbuf = host.sysctl().getInt("net.core.rmem_default", 212992);
        Map<String, Sock> old = hosts.getOrDefault(host.netns(), Collections.emptyMap());
        Map<String, Sock> socks = new LinkedHashMap<>();
        for (HostConfig.SocketSpec s : host.sockets()) {
            // A socket that stays open keeps its queue across a reconfiguration.
            Sock keep = old.get(s.key());
            socks.put(s.key(), keep != null ? keep : new Sock(s, rcvbuf));
        }
        hosts.put(host.netns(), Collections.synchronizedMap(socks));
    }

    @Override public void remove(String netns) { hosts.remove(netns); }

    /** For tests and reports: every host's socket keys. */
    List<String> keys(String netns) { return new ArrayList<>(hosts.getOrDefault(netns, Map.of()).keySet()); }
}
