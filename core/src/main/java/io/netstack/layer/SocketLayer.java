package io.netstack.layer;

import io.netstack.stack.LayerName;
import io.netstack.config.SysctlRegistry;
import io.netstack.config.HostConfig;
import io.netstack.skb.ControlBlock;
import io.netstack.skb.SkBuff;
import io.netstack.skb.SkbDropReason;
import io.netstack.stack.KernelQueue;
import io.netstack.stack.Layer;
import io.netstack.stack.LayerContext;
import io.netstack.state.BytesObject;
import io.netstack.state.ObjectJournal;
import io.netstack.state.ObjectJournals;
import io.netstack.state.ObjectQueue;
import io.netstack.stats.Snmp;
import io.netstack.proto.QueuedDatagram;
import io.netstack.proto.StateObject;
import com.google.protobuf.ByteString;
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
 * The socket layer: each host's socket table (host.yaml's sockets and those the BSD socket API
 * opens: socket/bind/listen/accept/connect/send/sendto/recv/recvfrom/shutdown/close/
 * getsockname/getpeername/setsockopt) and their receive queues. API calls that TCP or UDP must
 * act on go to l4 as skbs on SK_SENDMSG (ControlBlock.sockOp); l4's answers (bytes and events)
 * come back on SK_RECEIVE_QUEUE. The model never blocks: EAGAIN / EINPROGRESS instead.
 *
 * <p>UDP datagrams:
 * with the receive-buffer bound of __udp_enqueue_schedule_skb (net/ipv4/udp.c).
 *
 * <p>sk_rcvbuf is net.core.rmem_default; each datagram is charged its truesize (see
 * {@link #truesize}) to sk_rmem_alloc until it is read. UdpInDatagrams: Linux counts it in
 * udp_recvmsg when the application reads the datagram; the conformance harness reads every
 * queued datagram, so it is counted here when the datagram is queued.
 */
public final class SocketLayer implements java.io.Serializable, Layer {

    /** A datagram in a socket's receive queue: the peer, the local address, the payload. */
    public record Datagram(int saddr, int sport, int daddr, int dport, byte[] payload, int truesize) implements java.io.Serializable {
        public String from() { return Inet.format(saddr) + ":" + sport; }
    }

    /** A queued datagram as its state object (proto/state.proto). */
    enum DatagramObject implements ObjectQueue.Codec<Datagram> {
        CODEC;

        @Override public byte[] encode(Datagram d) {
            return StateObject.newBuilder().setDatagram(QueuedDatagram.newBuilder()
                    .setSaddr(d.saddr()).setSport(d.sport()).setDaddr(d.daddr()).setDport(d.dport())
                    .setPayload(ByteString.copyFrom(d.payload())).setTruesize(d.truesize())).build().toByteArray();
        }

        @Override public Datagram decode(byte[] bytes) {
            QueuedDatagram q = BytesObject.parse(bytes).getDatagram();
            return new Datagram(q.getSaddr(), q.getSport(), q.getDaddr(), q.getDport(), q.getPayload().toByteArray(),
                    q.getTruesize());
        }
    }

    /** struct sock, reduced: its key, sk_rcvbuf, sk_rmem_alloc, sk_drops and sk_receive_queue. */
    public static final class Sock implements java.io.Serializable {
        private final HostConfig.SocketSpec spec;
        private final int rcvbuf;
        private long rmemAlloc;
        private long drops;
        /** sk_receive_queue: each datagram an object of its own (written once, removed when read). */
        private final ObjectQueue<Datagram> queue;

        Sock(HostConfig.SocketSpec spec, int rcvbuf, ObjectJournal journal) {
            this.spec = spec;
            this.rcvbuf = rcvbuf;
            this.queue = new ObjectQueue<>("rcvq " + spec.key(), DatagramObject.CODEC, journal);
        }

        public HostConfig.SocketSpec spec() { return spec; }
        public String key() { return spec.key(); }
        public int rcvbuf() { return rcvbuf; }
        public synchronized long rmemAlloc() { return rmemAlloc; }
        public synchronized long drops() { return drops; }
        public synchronized List<Datagram> queued() {
            List<Datagram> copy = new ArrayList<>(queue.size());
            for (Datagram d : queue) copy.add(d);
            return copy;
        }

        /** The socket is gone: its queue empties (and its objects with it). */
        synchronized void clear() {
            queue.clear();
            rmemAlloc = 0;
        }

        /** recvmsg: takes the oldest datagram and uncharges it; null if none. */
        public synchronized Datagram recv() {
            Datagram d = queue.poll();
            if (d != null) rmemAlloc -= d.truesize();
            return d;
        }
    }

    private final Map<String, Map<String, Sock>> hosts = new ConcurrentHashMap<>();

    /**
     * Who sleeps on a socket's wait queue (sk_sleep): the API's blocked calls. The layer wakes
     * exactly the socket that changed, as sk_data_ready, sk_state_change and sk_write_space do,
     * so a blocked call costs nothing while other sockets are busy.
     */
    public interface Wakeups {
        /** The socket {@code fd} of {@code netns} changed: data, a connection, a state, room to write. */
        void wake(String netns, int fd);

        /** The host's whole socket table was replaced (restored or reset): every waiter looks again. */
        void wakeHost(String netns);

        /** The socket {@code fd} of {@code netns} was closed: whoever waits on it looks again, and it is forgotten. */
        void closed(String netns, int fd);

        Wakeups NONE = new Wakeups() {
            @Override public void wake(String netns, int fd) { }

            @Override public void wakeHost(String netns) { }

            @Override public void closed(String netns, int fd) { }
        };
    }

    private transient volatile Wakeups wakeups = Wakeups.NONE;

    /** Where the layer's wake-ups go (one receiver; the socket API's waits). */
    public void onWakeup(Wakeups w) {
        this.wakeups = w == null ? Wakeups.NONE : w;
    }

    private void wakeUp(String netns, BsdSocket b) {
        if (b != null) wakeups.wake(netns, b.fd);
    }

    @Override public String name() { return LayerName.SOCKET.id(); }

    @Override public Set<KernelQueue> inputs() { return Set.of(KernelQueue.SK_RECEIVE_QUEUE); }

    @Override
    public void receive(KernelQueue queue, SkBuff skb, LayerContext ctx) {
        if (skb.cb().socketProto() == io.netstack.skb.SockProto.TCP) {
            tcpReceive(ctx, skb);
            return;
        }
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
        HostSockets h = api.get(skb.netns());
        if (h != null) wakeUp(skb.netns(), h.byKey.get(sk.key()));   // sock_def_readable
    }

    /**
     * skb->truesize as Linux charges it for a received frame: the kmalloc'ed head (the frame
     * plus NET_SKB_PAD headroom, cache-aligned, plus struct skb_shared_info, rounded up to the
     * kmalloc size class) plus struct sk_buff (SKB_TRUESIZE, x86-64 sizes). A small datagram
     * costs 832 bytes, as the 6.18 recordings show.
     */
    static int truesize(SkBuff skb) {
        int start = skb.macHeader() >= 0 ? skb.macHeader() : (skb.networkHeader() >= 0 ? skb.networkHeader() : skb.data());
        int frame = Math.max(0, skb.tail() - start);
        int data = align(64 + frame, 64) + 320;
        // Measured on 6.18 (recorded/udp-rcvbuf-overflow-small): a small frame's head, received
        // through veth, is charged 576 bytes (skb_shared_info included), not its kmalloc class.
        if (data <= SMALL_HEAD) return SMALL_HEAD + 256;
        return kmallocSize(data) + 256;
    }

    private static final int SMALL_HEAD = 576;

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
        int rcvbuf = host.sysctl().get(SysctlRegistry.RMEM_DEFAULT);
        Map<String, Sock> old = hosts.getOrDefault(host.netns(), Collections.emptyMap());
        Map<String, Sock> socks = new LinkedHashMap<>();
        for (HostConfig.SocketSpec s : host.sockets()) {
            // A socket that stays open keeps its queue across a reconfiguration.
            Sock keep = old.get(s.key());
            socks.put(s.key(), keep != null ? keep : new Sock(s, rcvbuf, journal(host.netns())));
        }
        HostSockets hs = api.get(host.netns());
        if (hs == null) {
            hs = new HostSockets(host);
            api.put(host.netns(), hs);
        } else {
            hs.config = host;
        }
        // Sockets opened through the API stay open across a reconfiguration.
        for (BsdSocket b : hs.fds.values()) {
            if (b.udp != null && !socks.containsKey(b.udp.key())) socks.put(b.udp.key(), b.udp);
        }
        // A socket the configuration closed takes its queue's objects with it.
        for (Map.Entry<String, Sock> e : old.entrySet()) if (!socks.containsKey(e.getKey())) e.getValue().clear();
        // host.yaml's TCP listeners are listening sockets of the table (accept() works on them).
        for (HostConfig.SocketSpec s : host.sockets()) {
            if ("tcp".equals(s.proto()) && s.listen() && !hs.byKey.containsKey(s.key())) {
                BsdSocket b = new BsdSocket(hs.nextFd++, "tcp", journal(host.netns()));
                b.state = SockState.LISTEN;
                b.laddr = s.addr();
                b.lport = s.port();
                b.backlog = s.backlog();
                b.key = s.key();
                b.rcvbuf = host.sysctl().get(SysctlRegistry.TCP_RMEM)[1];
                hs.fds.put(b.fd, b);
                hs.byKey.put(b.key, b);
            }
        }
        hosts.put(host.netns(), Collections.synchronizedMap(socks));
    }

    @Override public void remove(String netns) {
        hosts.remove(netns);
        api.remove(netns);
        journals.forget(netns);
        wakeups.wakeHost(netns);
    }

    // ---- state: the socket table as a snapshot, the receive queues' entries as objects ----

    private final transient ObjectJournals journals = new ObjectJournals();

    @Override public void keepObjectJournal() { journals.keep(); }

    /** The journal new queues of the host record their changes in; null when none is kept. */
    private ObjectJournal journal(String netns) { return journals.of(netns); }

    @Override public Map<String, byte[]> takeObjectChanges(String netns) { return journals.take(netns); }

    /**
     * The host's socket table: every socket with its state and accept queue, and the position of
     * its receive queue, whose entries are objects of their own ({@link #objects}).
     */
    @Override
    public synchronized byte[] snapshot(String netns) {
        Map<String, Sock> socks = hosts.get(netns);
        HostSockets hs = api.get(netns);
        if (socks == null || hs == null) return null;
        synchronized (socks) {
            return io.netstack.state.StateCodec.write(new Object[] {new LinkedHashMap<>(socks), hs}, o -> null);
        }
    }

    @Override
    public synchronized Map<String, byte[]> objects(String netns) {
        Map<String, byte[]> objects = new LinkedHashMap<>();
        for (ObjectQueue<?> q : queues(netns)) q.objects(objects);
        return objects;
    }

    /** The receive queues of a host: of its sockets and of its connections. */
    private List<ObjectQueue<?>> queues(String netns) {
        List<ObjectQueue<?>> queues = new ArrayList<>();
        Map<String, Sock> socks = hosts.get(netns);
        if (socks != null) synchronized (socks) {
            for (Sock sk : socks.values()) queues.add(sk.queue);
        }
        HostSockets hs = api.get(netns);
        if (hs != null) for (BsdSocket b : hs.fds.values()) queues.add(b.rcvQueue);
        return queues;
    }

    @Override
    public synchronized void restore(String netns, byte[] state) {
        restore(netns, state, Map.of());
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized void restore(String netns, byte[] state, Map<String, byte[]> objects) {
        HostSockets current = api.get(netns);
        if (current == null) return;
        HostConfig cfg = current.config;
        ObjectJournal journal = journals.reset(netns);   // changes of the state left behind are not ours to write
        if (state == null) {
            hosts.remove(netns);
            api.remove(netns);
            configure(cfg);
        } else {
            Object[] s = (Object[]) io.netstack.state.StateCodec.read(state,
                    java.util.Map.of("config", cfg, "sysctl", cfg.sysctl()));
            HostSockets hs = (HostSockets) s[1];
            hs.config = cfg;
            api.put(netns, hs);
            hosts.put(netns, Collections.synchronizedMap((Map<String, Sock>) s[0]));
            Map<String, byte[]> unclaimed = new java.util.HashMap<>(objects);
            for (ObjectQueue<?> q : queues(netns)) q.restore(unclaimed, journal);
            objects = unclaimed;
        }
        // Objects of queues that are gone (a socket closed before a crash wrote their removal).
        journals.removeUnclaimed(netns, objects.keySet());
        wakeups.wakeHost(netns);
    }

    // ---------------------------------------------------------------------------------
    // The BSD socket API (the model the socket service exposes over gRPC).
    // ---------------------------------------------------------------------------------

    /** errno values by name, include/uapi/asm-generic/errno*.h. */
    public enum Errno {
        EBADF(9), EAGAIN(11), EINVAL(22), EPIPE(32), EDESTADDRREQ(89), EOPNOTSUPP(95), EADDRINUSE(98),
        EADDRNOTAVAIL(99), ECONNRESET(104), EISCONN(106), ENOTCONN(107), ETIMEDOUT(110),
        ECONNREFUSED(111), EALREADY(114), EINPROGRESS(115);

        public final int code;

        Errno(int code) { this.code = code; }

        public static Errno of(long code) {
            for (Errno e : values()) if (e.code == code) return e;
            return EINVAL;
        }
    }

    /** A call's result: a value (fd, byte count) or an errno; data and an address where the call returns them. */
    public record Result(long value, Errno errno, byte[] data, int addr, int port) implements java.io.Serializable {
        public static Result ok(long v) { return new Result(v, null, null, 0, 0); }
        public static Result err(Errno e) { return new Result(-1, e, null, 0, 0); }
        public boolean isOk() { return errno == null; }
        @Override public String toString() {
            return errno != null ? errno.name() : "ok(" + value + (data != null ? ", " + data.length + " bytes" : "") + ")";
        }
    }

    /** The state of a socket as the application sees it. */
    public enum SockState { UNBOUND, BOUND, LISTEN, CONNECTING, CONNECTED, CLOSED }

    /** struct socket + the parts of struct sock the application's side keeps. */
    public static final class BsdSocket implements java.io.Serializable {
        public final int fd;
        public final String proto;
        SockState state = SockState.UNBOUND;
        int laddr, lport, raddr, rport;
        String key;
        int rcvbuf;
        boolean rcvbufSet;
        int backlog;
        boolean keepalive;
        boolean nodelay;
        final Deque<String> acceptQueue = new ArrayDeque<>();
        /** TCP's receive queue as the application reads it: each chunk an object of its own. */
        final ObjectQueue<byte[]> rcvQueue;
        long rcvQueued;
        boolean eof;
        boolean shutWr;
        Errno pendingErr;
        /** The receive side of a UDP socket (the same queue udp_rcv fills). */
        Sock udp;
        /**
         * TCP's send buffer as the application sees it: sk_sndbuf as l4 last reported it, in
         * payload bytes (0: tcp_wmem[1] until then), the payload handed to l4 and how much of
         * it the peer has acknowledged (sk_write_space). What is in between is sk_wmem_queued.
         */
        int sndbuf;
        long sndSent;
        long sndAcked;
        /** The last call with an id per client and kind of call on this socket (see {@link #applied}). */
        Map<String, Applied> applied;

        BsdSocket(int fd, String proto, ObjectJournal journal) {
            this.fd = fd;
            this.proto = proto;
            this.rcvQueue = new ObjectQueue<>("rcvq fd " + fd, BytesObject.CODEC, journal);
        }

        public SockState state() { return state; }
        public String key() { return key; }
        public synchronized long queuedBytes() { return rcvQueued; }
        public synchronized int acceptBacklog() { return acceptQueue.size(); }
        public boolean eof() { return eof; }
        /** Payload queued for sending and not yet acknowledged. */
        public synchronized long unackedBytes() { return sndSent - sndAcked; }
        public int localAddr() { return laddr; }
        public int localPort() { return lport; }
        public int remotePort() { return rport; }
    }

    /** One host's socket table. */
    static final class HostSockets implements java.io.Serializable {
        HostConfig config;
        final Map<Integer, BsdSocket> fds = new LinkedHashMap<>();
        final Map<String, BsdSocket> byKey = new LinkedHashMap<>();
        int nextFd = 3;
        int portCursor = -1;
        /** The last socket() / close() with an id per client (see {@link #applied}). */
        Map<String, Applied> applied;

        HostSockets(HostConfig config) { this.config = config; }
    }

    private final Map<String, HostSockets> api = new ConcurrentHashMap<>();

    private HostSockets hs(String netns) {
        HostSockets h = api.get(netns);
        if (h == null) throw new IllegalArgumentException("no host " + netns);
        return h;
    }

    /** A socket of the table by fd, or null. */
    public BsdSocket fd(String netns, int fd) {
        HostSockets h = api.get(netns);
        return h == null ? null : h.fds.get(fd);
    }

    /** socket(AF_INET, SOCK_STREAM or SOCK_DGRAM) (__sock_create): "tcp" or "udp"; the fd. */
    public synchronized Result socketCreate(String netns, String proto) {
        if (!"tcp".equals(proto) && !"udp".equals(proto)) return Result.err(Errno.EINVAL);
        HostSockets h = hs(netns);
        BsdSocket b = new BsdSocket(h.nextFd++, proto, journal(netns));
        b.rcvbuf = "tcp".equals(proto)
                ? h.config.sysctl().get(SysctlRegistry.TCP_RMEM)[1]
                : h.config.sysctl().get(SysctlRegistry.RMEM_DEFAULT);
        h.fds.put(b.fd, b);
        return Result.ok(b.fd);
    }

    /** bind(): EADDRNOTAVAIL for an address not of this host, EADDRINUSE for a taken port, EINVAL if bound. */
    public synchronized Result bind(LayerContext ctx, String netns, int fd, int addr, int port) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (b.state != SockState.UNBOUND) return Result.err(Errno.EINVAL);
        if (addr != 0 && !isLocalAddress(h.config, addr)) return Result.err(Errno.EADDRNOTAVAIL);
        if (port == 0) {
            port = ephemeralPort(h, b.proto, addr, false);
            if (port == 0) return Result.err(Errno.EADDRINUSE);
        } else if (portInUse(h, b.proto, addr, port)) {
            return Result.err(Errno.EADDRINUSE);
        }
        b.laddr = addr;
        b.lport = port;
        b.state = SockState.BOUND;
        if ("udp".equals(b.proto)) udpBind(ctx, netns, h, b);
        return Result.ok(0);
    }

    private void udpBind(LayerContext ctx, String netns, HostSockets h, BsdSocket b) {
        HostConfig.SocketSpec spec = new HostConfig.SocketSpec("udp", b.laddr, b.lport, false, 0);
        b.key = spec.key();
        b.udp = new Sock(spec, b.rcvbuf, journal(netns));
        h.byKey.put(b.key, b);
        Map<String, Sock> socks = hosts.get(netns);
        if (socks != null) socks.put(b.key, b.udp);
        emit(ctx, netns, b.key, ControlBlock.SOCK_OP_BIND, b, 0, 0);
    }

    /** listen(): TCP only; an unbound socket gets an ephemeral port first (inet_autobind). */
    public synchronized Result listen(LayerContext ctx, String netns, int fd, int backlog) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (!"tcp".equals(b.proto)) return Result.err(Errno.EOPNOTSUPP);
        if (b.state == SockState.LISTEN) {
            b.backlog = backlog;
            emit(ctx, netns, b.key, ControlBlock.SOCK_OP_LISTEN, b, backlog, 0);
            return Result.ok(0);
        }
        if (b.state != SockState.UNBOUND && b.state != SockState.BOUND) return Result.err(Errno.EINVAL);
        if (b.state == SockState.UNBOUND) {
            int p = ephemeralPort(h, "tcp", 0, false);
            if (p == 0) return Result.err(Errno.EADDRINUSE);
            b.lport = p;
        }
        b.state = SockState.LISTEN;
        b.backlog = backlog;
        b.key = new HostConfig.SocketSpec("tcp", b.laddr, b.lport, true, backlog).key();
        h.byKey.put(b.key, b);
        emit(ctx, netns, b.key, ControlBlock.SOCK_OP_LISTEN, b, backlog, 0);
        emitOptions(ctx, netns, b);
        return Result.ok(0);
    }

    /** accept(): the oldest completed connection (EAGAIN if none: the model never blocks). */
    public synchronized Result accept(LayerContext ctx, String netns, int fd) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (b.state != SockState.LISTEN) return Result.err(Errno.EINVAL);
        String childKey;
        synchronized (b) {
            childKey = b.acceptQueue.poll();
        }
        if (childKey == null) return Result.err(Errno.EAGAIN);
        BsdSocket c = h.byKey.get(childKey);
        if (c == null) return Result.err(Errno.EAGAIN);
        h.fds.put(c.fd, c);
        SkBuff skb = emit(ctx, netns, b.key, ControlBlock.SOCK_OP_ACCEPTED, b, 0, 0);
        skb.cb().sockChild = childKey;
        return new Result(c.fd, null, null, c.raddr, c.rport);
    }

    /**
     * connect(): TCP starts the active open (EINPROGRESS: the model is non-blocking; the state
     * becomes CONNECTED or the error arrives); UDP sets the default destination.
     */
    public synchronized Result connect(LayerContext ctx, String netns, int fd, int addr, int port) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (port == 0 || addr == 0) return Result.err(Errno.EINVAL);
        if ("udp".equals(b.proto)) {
            if (b.state == SockState.UNBOUND) {
                int p = ephemeralPort(h, "udp", 0, true);
                if (p == 0) return Result.err(Errno.EADDRNOTAVAIL);
                b.lport = p;
                b.state = SockState.BOUND;
                udpBind(ctx, netns, h, b);
            }
            b.raddr = addr;
            b.rport = port;
            return Result.ok(0);
        }
        if (b.state == SockState.CONNECTED) return Result.err(Errno.EISCONN);
        if (b.state == SockState.CONNECTING) return Result.err(Errno.EALREADY);
        if (b.state == SockState.LISTEN || b.state == SockState.CLOSED) return Result.err(Errno.EINVAL);
        int saddr = b.laddr != 0 ? b.laddr : inetSelectAddr(h.config, addr);
        if (saddr == 0) return Result.err(Errno.EADDRNOTAVAIL);
        if (b.state == SockState.UNBOUND) {
            int p = ephemeralPort(h, "tcp", saddr, true);
            if (p == 0) return Result.err(Errno.EADDRNOTAVAIL);
            b.lport = p;
        }
        b.laddr = saddr;
        b.raddr = addr;
        b.rport = port;
        b.key = "tcp " + Inet.format(saddr) + ":" + b.lport + " " + Inet.format(addr) + ":" + port;
        b.state = SockState.CONNECTING;
        h.byKey.put(b.key, b);
        emit(ctx, netns, b.key, ControlBlock.SOCK_OP_CONNECT, b, b.rcvbufSet ? b.rcvbuf : 0, 0);
        emitOptions(ctx, netns, b);
        return Result.err(Errno.EINPROGRESS);
    }

    /** send(): TCP to the connection; UDP to the connected destination. */
    public synchronized Result send(LayerContext ctx, String netns, int fd, byte[] data) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if ("udp".equals(b.proto)) {
            if (b.rport == 0) return Result.err(Errno.EDESTADDRREQ);
            return sendto(ctx, netns, fd, data, b.raddr, b.rport);
        }
        if (b.pendingErr != null) {
            Errno e = b.pendingErr;
            b.pendingErr = null;
            return Result.err(e);
        }
        if (b.shutWr) return Result.err(Errno.EPIPE);
        if (b.state == SockState.CONNECTING) return Result.err(Errno.EAGAIN);
        if (b.state == SockState.CLOSED) return Result.err(Errno.EPIPE);
        if (b.state != SockState.CONNECTED) return Result.err(Errno.ENOTCONN);
        if (data.length == 0) return Result.ok(0);
        // tcp_sendmsg_locked / sk_stream_memory_free: what fits in the send buffer is taken
        // (a short count), nothing fits: EAGAIN (a blocking caller waits for sk_write_space).
        int sndbuf = b.sndbuf > 0 ? b.sndbuf : h.config.sysctl().get(SysctlRegistry.TCP_WMEM)[1];
        long room = sndbuf - (b.sndSent - b.sndAcked);
        if (room <= 0) return Result.err(Errno.EAGAIN);
        int n = (int) Math.min(data.length, room);
        SkBuff skb = emit(ctx, netns, b.key, ControlBlock.SOCK_OP_DATA, b, 0, n);
        skb.putData(n == data.length ? data : java.util.Arrays.copyOf(data, n));
        b.sndSent += n;
        return Result.ok(n);
    }

    /** sendto() on a UDP socket: an unbound socket is bound to an ephemeral port first. */
    public synchronized Result sendto(LayerContext ctx, String netns, int fd, byte[] data, int addr, int port) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (!"udp".equals(b.proto)) return send(ctx, netns, fd, data);
        if (addr == 0 || port == 0) return Result.err(Errno.EINVAL);
        if (b.state == SockState.UNBOUND) {
            int p = ephemeralPort(h, "udp", 0, true);
            if (p == 0) return Result.err(Errno.EAGAIN);
            b.lport = p;
            b.state = SockState.BOUND;
            udpBind(ctx, netns, h, b);
        }
        int saddr = b.laddr != 0 ? b.laddr : inetSelectAddr(h.config, addr);
        SkBuff skb = ctx.allocSkb(netns, null, SkBuff.DEFAULT_HEADROOM, data.length);
        skb.putData(data);
        ControlBlock cb = skb.cb();
        cb.socket = b.key;
        cb.saddr = saddr;
        cb.sport = b.lport;
        cb.daddr = addr;
        cb.dport = port;
        cb.sockOp = ControlBlock.SOCK_OP_DATA;
        ctx.trace(skb, "udp_sendmsg");
        ctx.enqueue(KernelQueue.SK_SENDMSG, skb);
        return Result.ok(data.length);
    }

    /**
     * recv(): TCP returns up to {@code max} queued bytes (and tells l4 what was read, so the
     * window can open: tcp_cleanup_rbuf), 0 at EOF, the pending error, or EAGAIN.
     */
    public synchronized Result recv(LayerContext ctx, String netns, int fd, int max) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if ("udp".equals(b.proto)) return recvfrom(ctx, netns, fd, max);
        byte[] out;
        synchronized (b) {
            if (b.rcvQueued == 0) {
                if (b.pendingErr != null) {
                    Errno e = b.pendingErr;
                    b.pendingErr = null;
                    return Result.err(e);
                }
                if (b.eof) return new Result(0, null, new byte[0], b.raddr, b.rport);
                if (b.state == SockState.CONNECTED) return Result.err(Errno.EAGAIN);
                if (b.state == SockState.CONNECTING) return Result.err(Errno.EAGAIN);
                return Result.err(Errno.ENOTCONN);
            }
            int n = (int) Math.min(max, b.rcvQueued);
            out = new byte[n];
            int at = 0;
            while (at < n) {
                byte[] first = b.rcvQueue.peek();
                int take = Math.min(first.length, n - at);
                System.arraycopy(first, 0, out, at, take);
                at += take;
                if (take < first.length) b.rcvQueue.replaceFirst(java.util.Arrays.copyOfRange(first, take, first.length));
                else b.rcvQueue.poll();
            }
            b.rcvQueued -= n;
        }
        if (b.state == SockState.CONNECTED) emit(ctx, netns, b.key, ControlBlock.SOCK_OP_READ, b, out.length, 0);
        return new Result(out.length, null, out, b.raddr, b.rport);
    }

    /** recvfrom() on a UDP socket: one datagram and its source. */
    public synchronized Result recvfrom(LayerContext ctx, String netns, int fd, int max) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (!"udp".equals(b.proto)) return recv(ctx, netns, fd, max);
        if (b.udp == null) return Result.err(Errno.EAGAIN);
        Datagram d = b.udp.recv();
        if (d == null) return Result.err(Errno.EAGAIN);
        byte[] p = d.payload().length > max ? java.util.Arrays.copyOf(d.payload(), max) : d.payload();
        return new Result(p.length, null, p, d.saddr(), d.sport());
    }

    /** shutdown(): SHUT_RD (0) stops reading, SHUT_WR (1) sends the FIN, SHUT_RDWR (2) both. */
    public synchronized Result shutdown(LayerContext ctx, String netns, int fd, int how) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (how < 0 || how > 2) return Result.err(Errno.EINVAL);
        if (!"tcp".equals(b.proto) || (b.state != SockState.CONNECTED && b.state != SockState.CONNECTING)) {
            return Result.err(Errno.ENOTCONN);
        }
        if (how != 0 && !b.shutWr) {
            b.shutWr = true;
            emit(ctx, netns, b.key, ControlBlock.SOCK_OP_SHUTDOWN, b, 0, 0);
        }
        if (how != 1) b.eof = true;
        wakeUp(netns, b);
        return Result.ok(0);
    }

    /** close(): a listener stops; a connection closes (RST if data was left unread); UDP unbinds. */
    public synchronized Result close(LayerContext ctx, String netns, int fd) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.remove(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (b.key != null) h.byKey.remove(b.key);
        if ("udp".equals(b.proto)) {
            if (b.udp != null) {
                Map<String, Sock> socks = hosts.get(netns);
                if (socks != null) socks.remove(b.key);
                emit(ctx, netns, b.key, ControlBlock.SOCK_OP_CLOSE, b, 0, 0);
            }
        } else if (b.state == SockState.LISTEN) {
            // Unaccepted children die with the listener (l4 resets them).
            for (String k : b.acceptQueue) h.byKey.remove(k);
            emit(ctx, netns, b.key, ControlBlock.SOCK_OP_CLOSE_LISTENER, b, 0, 0);
        } else if (b.state == SockState.CONNECTED || b.state == SockState.CONNECTING) {
            emit(ctx, netns, b.key, ControlBlock.SOCK_OP_CLOSE, b, b.rcvQueued, 0);
        }
        b.state = SockState.CLOSED;
        // The queues go with the socket (what was unread was reset or dropped above).
        b.rcvQueue.clear();
        b.rcvQueued = 0;
        if (b.udp != null) b.udp.clear();
        wakeups.closed(netns, b.fd);
        return Result.ok(0);
    }

    /** getsockname() */
    public synchronized Result getsockname(String netns, int fd) {
        BsdSocket b = hs(netns).fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        return new Result(0, null, null, b.laddr, b.lport);
    }

    /** getpeername(): ENOTCONN unless connected. */
    public synchronized Result getpeername(String netns, int fd) {
        BsdSocket b = hs(netns).fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        if (b.state != SockState.CONNECTED || b.rport == 0) {
            if (!("udp".equals(b.proto) && b.rport != 0)) return Result.err(Errno.ENOTCONN);
        }
        return new Result(0, null, null, b.raddr, b.rport);
    }

    /**
     * setsockopt(): SO_RCVBUF (sk_rcvbuf = twice the value, capped by net.core.rmem_max,
     * at least SOCK_MIN_RCVBUF), SO_KEEPALIVE, TCP_NODELAY. A connection or listener tells l4.
     */
    public synchronized Result setsockopt(LayerContext ctx, String netns, int fd, int opt, long value) {
        HostSockets h = hs(netns);
        BsdSocket b = h.fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        long arg;
        switch (opt) {
            case ControlBlock.SO_RCVBUF: {
                long v = Math.min(value, h.config.sysctl().get(SysctlRegistry.RMEM_MAX));
                b.rcvbuf = (int) Math.max(v * 2, 2304);
                b.rcvbufSet = true;
                arg = b.rcvbuf;
                break;
            }
            case ControlBlock.SO_KEEPALIVE: b.keepalive = value != 0; arg = value; break;
            case ControlBlock.TCP_NODELAY: b.nodelay = value != 0; arg = value; break;
            default: return Result.err(Errno.EINVAL);
        }
        if ("tcp".equals(b.proto) && b.key != null && b.state != SockState.CLOSED) {
            emit(ctx, netns, b.key, ControlBlock.SOCK_OP_SETSOCKOPT, b, arg, 0).cb().sockOpt = opt;
        }
        return Result.ok(0);
    }

    /**
     * getsockopt(SO_ERROR) (sock_getsockopt, net/core/sock.c): the pending error, cleared as it
     * is read (sock_error); 0 when none. How a non-blocking connect learns ECONNREFUSED.
     */
    public synchronized Result getsockoptError(String netns, int fd) {
        BsdSocket b = hs(netns).fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        synchronized (b) {
            Errno e = b.pendingErr;
            b.pendingErr = null;
            return Result.ok(e == null ? 0 : e.code);
        }
    }

    /** getsockopt(SO_RCVBUF): sk_rcvbuf (for TCP as receive-buffer autotuning grew it, which l4 reports). */
    public synchronized Result getsockoptRcvbuf(String netns, int fd) {
        BsdSocket b = hs(netns).fds.get(fd);
        if (b == null) return Result.err(Errno.EBADF);
        return Result.ok(b.rcvbuf);
    }

    private void emitOptions(LayerContext ctx, String netns, BsdSocket b) {
        if (b.rcvbufSet && b.state == SockState.LISTEN) {
            emit(ctx, netns, b.key, ControlBlock.SOCK_OP_SETSOCKOPT, b, b.rcvbuf, 0).cb().sockOpt = ControlBlock.SO_RCVBUF;
        }
        if (b.keepalive) emit(ctx, netns, b.key, ControlBlock.SOCK_OP_SETSOCKOPT, b, 1, 0).cb().sockOpt = ControlBlock.SO_KEEPALIVE;
        if (b.nodelay) emit(ctx, netns, b.key, ControlBlock.SOCK_OP_SETSOCKOPT, b, 1, 0).cb().sockOpt = ControlBlock.TCP_NODELAY;
    }

    /** An API request to l4 on SK_SENDMSG (the skb enters the stack here). */
    private SkBuff emit(LayerContext ctx, String netns, String key, int op, BsdSocket b, long arg, int size) {
        SkBuff skb = ctx.allocSkb(netns, null, SkBuff.DEFAULT_HEADROOM, size);
        ControlBlock cb = skb.cb();
        cb.socket = key;
        cb.sockOp = op;
        cb.sockArg = arg;
        cb.saddr = b.laddr;
        cb.sport = b.lport;
        cb.daddr = b.raddr;
        cb.dport = b.rport;
        cb.ipProtocol = "tcp".equals(b.proto) ? 6 : 17;
        ctx.trace(skb, "sock_" + opName(op));
        ctx.enqueue(KernelQueue.SK_SENDMSG, skb);
        return skb;
    }

    private static String opName(int op) {
        String[] n = {"sendmsg", "accept_ready", "eof", "reset", "connected", "error", "connect", "listen",
                "close_listener", "accept", "shutdown", "close", "setsockopt", "recvmsg", "bind"};
        return op >= 0 && op < n.length ? n[op] : "op" + op;
    }

    /**
     * What l4 queued for a TCP socket: bytes (sk_receive_queue, bounded by the receive buffer),
     * or an event: a connection to accept, EOF, reset, connected, an error, send buffer freed,
     * the receive buffer grown by autotuning.
     */
    void tcpReceive(LayerContext ctx, SkBuff skb) {
        HostSockets h = api.get(skb.netns());
        ControlBlock cb = skb.cb();
        BsdSocket b = h == null ? null : h.byKey.get(cb.socket);
        ctx.trace(skb, "tcp_sock_" + opName(cb.sockOp));
        if (b == null) {
            ctx.drop(skb, SkbDropReason.NO_SOCKET);
            return;
        }
        try {
            tcpQueue(ctx, h, b, skb);
        } finally {
            wakeUp(skb.netns(), b);   // sk_data_ready / sk_state_change / sk_write_space
        }
    }

    private void tcpQueue(LayerContext ctx, HostSockets h, BsdSocket b, SkBuff skb) {
        ControlBlock cb = skb.cb();
        synchronized (b) {
            switch (cb.sockOp) {
                case ControlBlock.SOCK_OP_ACCEPT_READY: {
                    BsdSocket c = new BsdSocket(h.nextFd++, "tcp", journal(skb.netns()));
                    c.state = SockState.CONNECTED;
                    c.key = cb.sockChild;
                    c.laddr = cb.daddr;
                    c.lport = cb.dport;
                    c.raddr = cb.saddr;
                    c.rport = cb.sport;
                    c.rcvbuf = b.rcvbuf;
                    if (cb.sockOpt > 0) c.sndbuf = cb.sockOpt;
                    h.byKey.put(c.key, c);
                    b.acceptQueue.add(c.key);
                    ctx.consume(skb);
                    return;
                }
                case ControlBlock.SOCK_OP_CONNECTED:
                    if (b.state == SockState.CONNECTING) b.state = SockState.CONNECTED;
                    if (cb.sockOpt > 0) b.sndbuf = cb.sockOpt;
                    ctx.consume(skb);
                    return;
                case ControlBlock.SOCK_OP_ERROR:
                case ControlBlock.SOCK_OP_RESET:
                    b.pendingErr = Errno.of(cb.sockArg);
                    b.state = SockState.CLOSED;
                    ctx.consume(skb);
                    return;
                case ControlBlock.SOCK_OP_EOF:
                    b.eof = true;
                    ctx.consume(skb);
                    return;
                case ControlBlock.SOCK_OP_WRITE_SPACE:
                    b.sndAcked = Math.max(b.sndAcked, cb.sockArg);
                    if (cb.sockOpt > 0) b.sndbuf = cb.sockOpt;
                    ctx.consume(skb);
                    return;
                case ControlBlock.SOCK_OP_SETSOCKOPT:
                    // TCP's receive-buffer autotuning grew sk_rcvbuf (tcp_rcvbuf_grow; never when
                    // the application set SO_RCVBUF): getsockopt(SO_RCVBUF) answers the new size.
                    if (cb.sockOpt == ControlBlock.SO_RCVBUF && !b.rcvbufSet && cb.sockArg > 0) b.rcvbuf = (int) cb.sockArg;
                    ctx.consume(skb);
                    return;
                default:
                    break;
            }
            // TCP bounds the receive queue itself (tcp_try_rmem_schedule in l4, before the data
            // is acknowledged): what arrives here was acknowledged and must not be lost.
            byte[] payload = skb.dataBytes();
            b.rcvQueue.add(payload);
            b.rcvQueued += payload.length;
            ctx.deliver(skb, b.key, Inet.format(cb.saddr) + ":" + cb.sport, payload);
        }
    }

    private static boolean isLocalAddress(HostConfig c, int addr) {
        if ((addr >>> 24) == 127) return true;
        for (HostConfig.Interface i : c.interfaces()) {
            for (HostConfig.IfAddress a : i.addresses()) if (a.address() == addr) return true;
        }
        return false;
    }

    /**
     * inet_select_addr / the source fib_lookup gives: the address of the interface whose
     * subnet holds the destination, else the primary address of the route's device.
     */
    static int inetSelectAddr(HostConfig c, int daddr) {
        if ((daddr >>> 24) == 127) return Inet.parse("127.0.0.1");
        int best = 0;
        int bestLen = -1;
        for (HostConfig.Interface i : c.interfaces()) {
            for (HostConfig.IfAddress a : i.addresses()) {
                if (a.prefixLen() > bestLen && Inet.inPrefix(daddr, a.address(), a.prefixLen())) {
                    best = a.address();
                    bestLen = a.prefixLen();
                }
            }
        }
        for (HostConfig.Route r : c.routes()) {
            if (r.prefixLen() > bestLen && Inet.inPrefix(daddr, r.dst(), r.prefixLen())) {
                int src = r.src();
                if (src == 0 && r.dev() != null) {
                    src = c.iface(r.dev()).flatMap(HostConfig.Interface::primaryAddress).map(HostConfig.IfAddress::address).orElse(0);
                }
                if (src != 0) {
                    best = src;
                    bestLen = r.prefixLen();
                }
            }
        }
        return best;
    }

    private boolean portInUse(HostSockets h, String proto, int addr, int port) {
        for (BsdSocket o : h.fds.values()) {
            if (o.proto.equals(proto) && o.lport == port && o.state != SockState.UNBOUND && o.state != SockState.CLOSED
                    && o.rport == 0 && (o.laddr == 0 || addr == 0 || o.laddr == addr)) {
                return true;
            }
            if (o.proto.equals(proto) && o.lport == port && "udp".equals(proto)) return true;
        }
        for (HostConfig.SocketSpec s : h.config.sockets()) {
            if (s.proto().equals(proto) && s.port() == port && (s.addr() == 0 || addr == 0 || s.addr() == addr)) return true;
        }
        for (BsdSocket o : h.byKey.values()) {
            if (o.proto.equals(proto) && o.lport == port && o.state == SockState.LISTEN) return true;
        }
        return false;
    }

    /**
     * An ephemeral port from net.ipv4.ip_local_port_range: connect() starts on
     * an even port, bind(0) on an odd one (__inet_hash_connect / inet_csk_find_open_port), from
     * an offset that depends on the host.
     */
    private int ephemeralPort(HostSockets h, String proto, int addr, boolean connect) {
        int[] range = h.config.sysctl().get(SysctlRegistry.IP_LOCAL_PORT_RANGE);
        int low = range[0];
        int high = range[1];
        int n = high - low + 1;
        if (h.portCursor < 0) h.portCursor = Math.floorMod(h.config.netns().hashCode() * 0x9E3779B1, n);
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < n; i++) {
                int p = low + Math.floorMod(h.portCursor + i, n);
                if (pass == 0 && ((p & 1) == 0) != connect) continue;
                if (!portInUse(h, proto, addr, p) && !connectedOn(h, proto, p)) {
                    h.portCursor = Math.floorMod(p - low + 1, n);
                    return p;
                }
            }
        }
        return 0;
    }

    private static boolean connectedOn(HostSockets h, String proto, int port) {
        for (BsdSocket o : h.byKey.values()) if (o.proto.equals(proto) && o.lport == port) return true;
        return false;
    }

    // ---------------------------------------------------------------------------------
    // Retried API calls. A client that lost its socket-service instance sends the call again
    // to another one (with the same call id); if the first attempt was committed, its effect
    // is in the restored state, and doing it again would duplicate it (a second send of the
    // same bytes, a recv that skips what the first one took). The last call of each client
    // and kind is kept with its result in the host's state, so it is snapshotted with the
    // effect and moves with it; the retry is answered from it.
    // ---------------------------------------------------------------------------------

    /** A call with an id and what it answered. */
    record Applied(String callId, Result result) implements java.io.Serializable {}

    /** Clients whose last socket() / close() a host keeps (every `nc` is a new client; the oldest go first). */
    static final int APPLIED_PER_HOST = 256;
    /** Clients and kinds of call a socket keeps. */
    static final int APPLIED_PER_SOCKET = 16;

    private Map<String, Applied> appliedTable(String netns, int fd, boolean create) {
        HostSockets h = api.get(netns);
        if (h == null) return null;
        if (fd < 0) {
            if (h.applied == null && create) h.applied = new LinkedHashMap<>();
            return h.applied;
        }
        BsdSocket b = h.fds.get(fd);
        if (b == null) return null;
        if (b.applied == null && create) b.applied = new LinkedHashMap<>();
        return b.applied;
    }

    /**
     * The result call {@code callId} had, if it is the last call of its {@code lane} (a client
     * and a kind of call, "c7 recv": one client's send and recv on one socket run side by side)
     * on socket {@code fd} of the host, or on the host itself for {@code fd < 0} (socket() and
     * close(), whose socket does not exist before or after); null if it was not applied.
     */
    public synchronized Result applied(String netns, int fd, String lane, String callId) {
        Map<String, Applied> t = appliedTable(netns, fd, false);
        Applied a = t == null ? null : t.get(lane);
        return a != null && a.callId().equals(callId) ? a.result() : null;
    }

    /** Keeps what call {@code callId} of {@code lane} answered (replacing the lane's previous call). */
    public synchronized void remember(String netns, int fd, String lane, String callId, Result r) {
        Map<String, Applied> t = appliedTable(netns, fd, true);
        if (t == null) return;
        t.remove(lane);
        t.put(lane, new Applied(callId, r));
        int max = fd < 0 ? APPLIED_PER_HOST : APPLIED_PER_SOCKET;
        java.util.Iterator<String> oldest = t.keySet().iterator();
        while (t.size() > max) {
            oldest.next();
            oldest.remove();
        }
    }

    /**
     * The host's open file descriptors (a copy): what a program that takes over the host's
     * sockets (the demo apps on the instance the host moved to) looks through.
     */
    public synchronized List<BsdSocket> openSockets(String netns) {
        HostSockets h = api.get(netns);
        return h == null ? List.of() : List.copyOf(h.fds.values());
    }

    /** For tests and reports: every host's socket keys. */
    List<String> keys(String netns) { return new ArrayList<>(hosts.getOrDefault(netns, Map.of()).keySet()); }
}
