package io.netstack.skb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * struct sk_buff, include/linux/skbuff.h: one buffer and offsets into it.
 *
 * <pre>
 *   head                data              data+len         head.length
 *    |<--- headroom --->|<------ len ------>|<-- tailroom -->|
 *                       ^ mac_header, network_header, transport_header point anywhere in head
 * </pre>
 *
 * A layer that parses a header pulls it ({@link #pull}): the offset moves, the bytes stay.
 * A layer that adds a header pushes it into the headroom ({@link #push}).
 * Offsets are absolute indexes into {@link #head()}; -1 means unset.
 */
public final class SkBuff implements java.io.Serializable {

    /** MAX_HEADER + LL_RESERVED_SPACE: room kept in front of locally built packets. */
    public static final int DEFAULT_HEADROOM = 128;

    private long id;
    private long parentId;
    private String netns;
    private byte[] head;
    private int data;
    private int len;
    private int macHeader = -1;
    private int networkHeader = -1;
    private int transportHeader = -1;
    private String dev = "";
    private String iif = "";
    private int protocol;
    private PktType pktType = PktType.PACKET_HOST;
    private int hash;
    private int mark;
    private int priority;
    private int cpu;
    private long tstamp;
    private final List<Hop> hops = new ArrayList<>();
    private final ControlBlock cb = new ControlBlock();

    /** A layer's arrival time, for per-hop latency. */
    public record Hop(String layer, long timeNanos) implements java.io.Serializable {}

    public SkBuff(long id, String netns, byte[] head, int data, int len) {
        if (data < 0 || len < 0 || data + len > head.length) {
            throw new IllegalArgumentException("data " + data + " len " + len + " outside buffer of " + head.length);
        }
        this.id = id;
        this.netns = netns;
        this.head = head;
        this.data = data;
        this.len = len;
    }

    /** An skb holding exactly {@code bytes}, data at offset 0 (a frame as the driver DMAs it in). */
    public static SkBuff ofFrame(long id, String netns, byte[] bytes) {
        return new SkBuff(id, netns, bytes, 0, bytes.length);
    }

    /** alloc_skb + skb_reserve: an empty skb with {@code headroom} in front and room for {@code size} bytes. */
    public static SkBuff alloc(long id, String netns, int headroom, int size) {
        return new SkBuff(id, netns, new byte[headroom + size], headroom, 0);
    }

    // --- identity -----------------------------------------------------------------------

    public long id() { return id; }
    public void setId(long id) { this.id = id; }
    public long parentId() { return parentId; }
    public void setParentId(long parentId) { this.parentId = parentId; }
    public String netns() { return netns; }
    public void setNetns(String netns) { this.netns = netns; }

    // --- the buffer -----------------------------------------------------------------------

    public byte[] head() { return head; }
    /** skb->data as an offset into head(). */
    public int data() { return data; }
    public int len() { return len; }
    /** skb_tail_pointer as an offset. */
    public int tail() { return data + len; }
    public int headroom() { return data; }
    public int tailroom() { return head.length - tail(); }

    /** skb_pull: consumes {@code n} bytes at the front; returns the new data offset. */
    public int pull(int n) {
        if (n < 0 || n > len) throw new IllegalStateException("pull " + n + " of " + len);
        data += n;
        len -= n;
        return data;
    }

    /** pskb_may_pull: are {@code n} bytes available from data? */
    public boolean mayPull(int n) { return n <= len; }

    /** skb_push: claims {@code n} bytes of headroom; returns the new data offset. */
    public int push(int n) {
        if (n > data) {
            // Out of headroom: grow in front, like pskb_expand_head. Offsets shift with the bytes.
            int grow = Math.max(n - data, DEFAULT_HEADROOM);
            byte[] bigger = new byte[head.length + grow];
            System.arraycopy(head, 0, bigger, grow, head.length);
            head = bigger;
            data += grow;
            if (macHeader >= 0) macHeader += grow;
            if (networkHeader >= 0) networkHeader += grow;
            if (transportHeader >= 0) transportHeader += grow;
        }
        data -= n;
        len += n;
        return data;
    }

    /** skb_put: extends the data at the tail by {@code n} bytes; returns the offset of the new bytes. */
    public int put(int n) {
        if (n > tailroom()) {
            head = Arrays.copyOf(head, tail() + n);
        }
        int at = tail();
        len += n;
        return at;
    }

    /** skb_put_data: appends bytes. */
    public void putData(byte[] bytes) {
        int at = put(bytes.length);
        System.arraycopy(bytes, 0, head, at, bytes.length);
    }

    /** pskb_trim: cuts the data down to {@code newLen} bytes (drops link-layer padding). */
    public void trim(int newLen) {
        if (newLen < 0 || newLen > len) throw new IllegalStateException("trim to " + newLen + " of " + len);
        len = newLen;
    }

    /** Moves data back to an earlier offset (skb_push to a header already in the buffer, e.g. the network header). */
    public void resetDataTo(int offset) {
        if (offset < 0 || offset > tail()) throw new IllegalStateException("data to " + offset);
        len = tail() - offset;
        data = offset;
    }

    /** The bytes from data to tail, copied. */
    public byte[] dataBytes() { return Arrays.copyOfRange(head, data, tail()); }

    /** Bytes [from, to) of the buffer, copied. */
    public byte[] bytes(int from, int to) { return Arrays.copyOfRange(head, from, to); }

    public int u8(int off) { return head[off] & 0xff; }
    public int u16(int off) { return ((head[off] & 0xff) << 8) | (head[off + 1] & 0xff); }
    public int u32(int off) {
        return ((head[off] & 0xff) << 24) | ((head[off + 1] & 0xff) << 16) | ((head[off + 2] & 0xff) << 8) | (head[off + 3] & 0xff);
    }

    // --- header offsets -------------------------------------------------------------------

    public int macHeader() { return macHeader; }
    public void setMacHeader(int off) { this.macHeader = off; }
    /** skb_reset_mac_header */
    public void resetMacHeader() { this.macHeader = data; }
    public int networkHeader() { return networkHeader; }
    public void setNetworkHeader(int off) { this.networkHeader = off; }
    /** skb_reset_network_header */
    public void resetNetworkHeader() { this.networkHeader = data; }
    public int transportHeader() { return transportHeader; }
    public void setTransportHeader(int off) { this.transportHeader = off; }
    /** skb_reset_transport_header */
    public void resetTransportHeader() { this.transportHeader = data; }

    // --- metadata -------------------------------------------------------------------------

    public String dev() { return dev; }
    public void setDev(String dev) { this.dev = dev; }
    public String iif() { return iif; }
    public void setIif(String iif) { this.iif = iif; }
    /** skb->protocol: an EtherType. */
    public int protocol() { return protocol; }
    public void setProtocol(int protocol) { this.protocol = protocol; }
    public PktType pktType() { return pktType; }
    public void setPktType(PktType pktType) { this.pktType = pktType; }
    public int hash() { return hash; }
    public void setHash(int hash) { this.hash = hash; }
    public int mark() { return mark; }
    public void setMark(int mark) { this.mark = mark; }
    public int priority() { return priority; }
    public void setPriority(int priority) { this.priority = priority; }
    public int cpu() { return cpu; }
    public void setCpu(int cpu) { this.cpu = cpu; }
    /** skb->tstamp: when the frame arrived at the NIC (ns, the wire's clock); 0 if not stamped. */
    public long tstamp() { return tstamp; }
    public void setTstamp(long tstamp) { this.tstamp = tstamp; }
    public List<Hop> hops() { return hops; }
    public ControlBlock cb() { return cb; }

    /** skb_clone/skb_copy: a deep copy under a new id (the caller records it as spawned). */
    public SkBuff copy(long newId) {
        SkBuff c = new SkBuff(newId, netns, head.clone(), data, len);
        c.parentId = id;
        c.macHeader = macHeader;
        c.networkHeader = networkHeader;
        c.transportHeader = transportHeader;
        c.dev = dev;
        c.iif = iif;
        c.protocol = protocol;
        c.pktType = pktType;
        c.hash = hash;
        c.mark = mark;
        c.priority = priority;
        c.cpu = cpu;
        c.tstamp = tstamp;
        c.hops.addAll(hops);
        c.cb.copyFrom(cb);
        return c;
    }

    @Override
    public String toString() {
        return "skb#" + Long.toUnsignedString(id) + "[" + netns + " " + dev + " len=" + len + "]";
    }
}
