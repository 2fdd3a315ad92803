package io.netstack.socket;

import com.google.protobuf.ByteString;
import io.netstack.proto.AcceptRequest;
import io.netstack.proto.BindRequest;
import io.netstack.proto.ConnectRequest;
import io.netstack.proto.FdRequest;
import io.netstack.proto.ListenRequest;
import io.netstack.proto.RecvReply;
import io.netstack.proto.RecvRequest;
import io.netstack.proto.SendRequest;
import io.netstack.proto.ShutdownRequest;
import io.netstack.proto.SockOptRequest;
import io.netstack.proto.SockReply;
import io.netstack.proto.SocketRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * A socket of an emulated host, with the blocking calls of BSD sockets: {@link #connect} waits
 * for the handshake, {@link #accept} for a connection, {@link #recv} for data (an empty array
 * at EOF). A failed call throws {@link ErrnoException} with the errno's name. A timeout
 * ({@link #setTimeout}, SO_RCVTIMEO-like) bounds every wait; {@link #setNonBlocking} makes the
 * calls fail with EAGAIN / EINPROGRESS instead of waiting.
 */
public final class NetstackSocket implements AutoCloseable {

    /** One datagram (or read) and where it came from. */
    public record Received(byte[] data, SockAddr from, boolean eof) {}

    /** Largest payload of one Send call (the client splits larger writes, as the kernel does). */
    public static final int MAX_SEND = 64 * 1024;

    private final NetstackApi api;
    private final String netns;
    private final String type;
    private final int fd;
    private long timeoutMs;
    private boolean closed;

    private NetstackSocket(NetstackApi api, String netns, String type, int fd) {
        this.api = api;
        this.netns = netns;
        this.type = type;
        this.fd = fd;
    }

    static NetstackSocket open(NetstackApi api, String netns, String type) throws ErrnoException {
        SockReply r = check(api.blocking.socket(SocketRequest.newBuilder().setNetns(netns).setType(type).build()));
        return new NetstackSocket(api, netns, type, (int) r.getValue());
    }

    public String netns() { return netns; }
    public int fd() { return fd; }
    /** "tcp" or "udp". */
    public String type() { return type; }

    /** The wait bound of blocking calls; zero (the default) waits without limit. */
    public NetstackSocket setTimeout(Duration timeout) {
        this.timeoutMs = timeout.isZero() ? 0 : Math.max(1, timeout.toMillis());
        return this;
    }

    /** O_NONBLOCK: calls that would wait fail with EAGAIN (connect: EINPROGRESS). */
    public NetstackSocket setNonBlocking(boolean on) {
        this.timeoutMs = on ? -1 : 0;
        return this;
    }

    public NetstackSocket bind(String addr, int port) throws ErrnoException {
        check(api.blocking.bind(BindRequest.newBuilder().setNetns(netns).setFd(fd).setAddr(addr == null ? "" : addr)
                .setPort(port).build()));
        return this;
    }

    public NetstackSocket listen(int backlog) throws ErrnoException {
        check(api.blocking.listen(ListenRequest.newBuilder().setNetns(netns).setFd(fd).setBacklog(backlog).build()));
        return this;
    }

    /** Waits for a connection; the new socket's {@link #peer()} is the client. */
    public NetstackSocket accept() throws ErrnoException {
        SockReply r = check(api.blocking.accept(AcceptRequest.newBuilder().setNetns(netns).setFd(fd)
                .setTimeoutMs(timeoutMs).build()));
        NetstackSocket s = new NetstackSocket(api, netns, type, (int) r.getValue());
        s.timeoutMs = timeoutMs;
        return s;
    }

    /** TCP: waits for the three-way handshake (ECONNREFUSED, ETIMEDOUT); UDP: sets the default peer. */
    public NetstackSocket connect(String addr, int port) throws ErrnoException {
        check(api.blocking.connect(ConnectRequest.newBuilder().setNetns(netns).setFd(fd).setAddr(addr).setPort(port)
                .setTimeoutMs(timeoutMs).build()));
        return this;
    }

    /** send(): the bytes taken (all of them: the emulated send buffer does not fill). */
    public int send(byte[] data) throws ErrnoException {
        return (int) check(api.blocking.send(SendRequest.newBuilder().setNetns(netns).setFd(fd)
                .setData(ByteString.copyFrom(data)).build())).getValue();
    }

    /** Sends all of {@code data} in pieces of at most {@link #MAX_SEND}. */
    public void sendAll(byte[] data) throws ErrnoException {
        for (int off = 0; off < data.length; off += MAX_SEND) {
            int n = Math.min(MAX_SEND, data.length - off);
            check(api.blocking.send(SendRequest.newBuilder().setNetns(netns).setFd(fd)
                    .setData(ByteString.copyFrom(data, off, n)).build()));
        }
    }

    /** sendto(): one datagram to {@code addr:port}. */
    public int sendTo(byte[] data, String addr, int port) throws ErrnoException {
        return (int) check(api.blocking.sendTo(SendRequest.newBuilder().setNetns(netns).setFd(fd)
                .setData(ByteString.copyFrom(data)).setAddr(addr).setPort(port).build())).getValue();
    }

    /** recv(): waits for data; at most {@code max} bytes; an empty array at EOF. */
    public byte[] recv(int max) throws ErrnoException {
        return recvFrom(max).data();
    }

    /** recvfrom(): waits for a datagram (UDP) or data (TCP) and tells where it came from. */
    public Received recvFrom(int max) throws ErrnoException {
        RecvRequest req = RecvRequest.newBuilder().setNetns(netns).setFd(fd).setMax(max).setTimeoutMs(timeoutMs).build();
        Iterator<RecvReply> it = "udp".equals(type) ? api.blocking.recvFrom(req) : api.blocking.recv(req);
        // Without follow the server answers one read and ends the stream.
        if (!it.hasNext()) return new Received(new byte[0], null, true);
        RecvReply r = it.next();
        while (it.hasNext()) it.next();
        if (!r.getErrno().isEmpty()) throw new ErrnoException(r.getErrno(), "recv on fd " + fd + " of " + netns);
        SockAddr from = r.getAddr().isEmpty() ? null : new SockAddr(r.getAddr(), r.getPort());
        return new Received(r.getData().toByteArray(), from, r.getEof());
    }

    /**
     * Streams what arrives until EOF (returns normally) or an error (throws): each read is handed
     * to {@code sink} as it comes, like a loop of recv() without a round trip per read.
     */
    public void recvStream(int max, Consumer<Received> sink) throws ErrnoException {
        RecvRequest req = RecvRequest.newBuilder().setNetns(netns).setFd(fd).setMax(max).setTimeoutMs(timeoutMs)
                .setFollow(true).build();
        Iterator<RecvReply> it = "udp".equals(type) ? api.blocking.recvFrom(req) : api.blocking.recv(req);
        while (it.hasNext()) {
            RecvReply r = it.next();
            if (!r.getErrno().isEmpty()) throw new ErrnoException(r.getErrno(), "recv on fd " + fd + " of " + netns);
            SockAddr from = r.getAddr().isEmpty() ? null : new SockAddr(r.getAddr(), r.getPort());
            sink.accept(new Received(r.getData().toByteArray(), from, r.getEof()));
            if (r.getEof()) return;
        }
    }

    /** shutdown(): 0 SHUT_RD, 1 SHUT_WR (sends the FIN), 2 SHUT_RDWR. */
    public void shutdown(int how) throws ErrnoException {
        check(api.blocking.shutdown(ShutdownRequest.newBuilder().setNetns(netns).setFd(fd).setHow(how).build()));
    }

    public SockAddr local() throws ErrnoException {
        SockReply r = check(api.blocking.getSockName(FdRequest.newBuilder().setNetns(netns).setFd(fd).build()));
        return new SockAddr(r.getAddr(), r.getPort());
    }

    public SockAddr peer() throws ErrnoException {
        SockReply r = check(api.blocking.getPeerName(FdRequest.newBuilder().setNetns(netns).setFd(fd).build()));
        return new SockAddr(r.getAddr(), r.getPort());
    }

    /** setsockopt(SOL_SOCKET / IPPROTO_TCP, opt, value): "SO_RCVBUF", "SO_KEEPALIVE", "TCP_NODELAY". */
    public void setOption(String opt, long value) throws ErrnoException {
        check(api.blocking.setSockOpt(SockOptRequest.newBuilder().setNetns(netns).setFd(fd).setOpt(opt)
                .setValue(value).build()));
    }

    /** getsockopt(): "SO_RCVBUF" (twice what was set, as Linux keeps it), "SO_ERROR" (the errno code, cleared). */
    public long getOption(String opt) throws ErrnoException {
        return check(api.blocking.getSockOpt(SockOptRequest.newBuilder().setNetns(netns).setFd(fd).setOpt(opt)
                .build())).getValue();
    }

    public void setReceiveBufferSize(int bytes) throws ErrnoException { setOption("SO_RCVBUF", bytes); }

    /** The bytes of the connection as a stream (read returns -1 at EOF). */
    public InputStream inputStream() {
        return new InputStream() {
            private byte[] buf = new byte[0];
            private int pos;
            private boolean eof;

            @Override public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                while (pos == buf.length) {
                    if (eof) return -1;
                    Received r = recvFrom(Math.max(len, 16 * 1024));
                    buf = r.data();
                    pos = 0;
                    if (buf.length == 0) eof = true;
                }
                int n = Math.min(len, buf.length - pos);
                System.arraycopy(buf, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    /** Writes go out through send(); close() shuts the writing side (SHUT_WR). */
    public OutputStream outputStream() {
        return new OutputStream() {
            @Override public void write(int b) throws IOException { sendAll(new byte[] {(byte) b}); }
            @Override public void write(byte[] b, int off, int len) throws IOException {
                sendAll(java.util.Arrays.copyOfRange(b, off, off + len));
            }
            @Override public void close() throws IOException { shutdown(1); }
        };
    }

    /** close(); a second close does nothing. */
    @Override
    public void close() throws ErrnoException {
        if (closed) return;
        closed = true;
        check(api.blocking.close(FdRequest.newBuilder().setNetns(netns).setFd(fd).build()));
    }

    @Override public String toString() { return type + " fd " + fd + " of " + netns; }

    static SockReply check(SockReply r) throws ErrnoException {
        if (!r.getErrno().isEmpty()) throw new ErrnoException(r.getErrno(), r.getMessage());
        return r;
    }
}
