package io.netstack.fuzz;

import io.netstack.skb.SkbDropReason;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import io.netstack.wire.Bytes;
import io.netstack.wire.InetChecksum;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import static io.netstack.fuzz.Frames.*;

/**
 * Keeps the books of every skb from the events the stack writes (DESIGN.md principle 3):
 * which skbs were born (entered the stack, or spawned by another), which got their fate,
 * and what the counters moved. A problem (a second fate, a fate for an skb nobody made, a
 * drop without a reason, a transmitted frame Linux could not have sent) is written down with
 * the frame the skb came from, for the test to fail with.
 *
 * <p>Events of one visit come in first-touch order, so a child's event (with its fate) may
 * come before the parent's event that names it as spawned; a fate for an unborn id is
 * therefore held until the action that caused it ends ({@link #endOfAction}).
 */
final class FateLedger implements Consumer<SkbEvent> {

    /** The frame an skb came from: its index in the run and its bytes (null for a timer). */
    record Origin(long index, String dev, byte[] frame, String how) {
        @Override public String toString() {
            return frame == null ? "a timer after frame #" + index
                    : "frame #" + index + " on " + dev + " (" + how + ") hex=" + hex(frame);
        }
    }

    private final BitSet born = new BitSet();
    private final BitSet fated = new BitSet();
    private final Map<Long, Origin> live = new HashMap<>();
    private final Set<Long> fatedUnborn = new HashSet<>();
    private final List<String> problems = new ArrayList<>();
    final Map<String, Long> counters = new TreeMap<>();
    final Map<String, Long> links = new TreeMap<>();
    final Map<String, Long> fateKinds = new TreeMap<>();
    final Map<SkbDropReason, Long> dropReasons = new EnumMap<>(SkbDropReason.class);

    long entered;
    long spawned;
    long fates;
    /** Frames injected whose skb entered at the NIC, and how the NIC visit ended for them. */
    long injectedSeen;
    long nicAccepted;
    long nicAcceptedBytes;
    long nicDropped;
    long transmitted;
    long transmittedBytes;

    private Origin current;
    private boolean injecting;

    /** The action about to run: a frame from the wire (injecting) or a timer. */
    void startAction(Origin origin, boolean injecting) {
        this.current = origin;
        this.injecting = injecting;
    }

    @Override
    public void accept(SkbEvent e) {
        for (SkbEvent.StatDelta d : e.stats()) {
            if (d.isLinkStat()) links.merge(d.dev() + "." + d.name(), d.delta(), Long::sum);
            else counters.merge(d.name(), d.delta(), Long::sum);
        }
        long id = e.skbId();
        if (id == 0) {
            if (e.fate() != null) problem("a fate on an event of no skb: " + e);
            if (e.entered() || !e.spawned().isEmpty()) problem("an skb born on an event of no skb: " + e);
            return;
        }
        if (id < 0 || id > Integer.MAX_VALUE) {
            problem("skb id " + id + " out of the range the ledger keeps");
            return;
        }
        if (e.entered()) {
            entered++;
            birth(id, current, e);
            if (injecting && e.layer().equals("nic")) {
                injectedSeen++;
                if (e.fate() == null) {
                    nicAccepted++;
                    nicAcceptedBytes += current.frame().length;
                } else {
                    nicDropped++;
                }
            }
        }
        Origin parentOrigin = live.getOrDefault(id, current);
        for (Long child : e.spawned()) {
            spawned++;
            birth(child, parentOrigin, e);
        }
        if (e.fate() != null) fate(id, e);
    }

    private void birth(long id, Origin origin, SkbEvent e) {
        int i = (int) id;
        if (born.get(i)) {
            problem("skb " + id + " born twice (" + e.layer() + "), from " + origin);
            return;
        }
        born.set(i);
        if (!fatedUnborn.remove(id)) live.put(id, origin);
    }

    private void fate(long id, SkbEvent e) {
        int i = (int) id;
        Fate f = e.fate();
        Origin origin = live.getOrDefault(id, current);
        if (fated.get(i)) {
            problem("skb " + id + " got a second fate " + f + " in " + e.layer() + ", from " + origin);
            return;
        }
        fated.set(i);
        fates++;
        if (born.get(i)) live.remove(id);
        else fatedUnborn.add(id);
        if (f instanceof Fate.Dropped d) {
            fateKinds.merge("dropped", 1L, Long::sum);
            if (d.reason() == null) problem("skb " + id + " dropped without a reason in " + e.layer() + " (" + d.function() + "), from " + origin);
            else dropReasons.merge(d.reason(), 1L, Long::sum);
        } else if (f instanceof Fate.Transmitted t) {
            fateKinds.merge("transmitted", 1L, Long::sum);
            transmitted++;
            transmittedBytes += t.frame().length;
            checkTransmitted(id, t, origin);
        } else if (f instanceof Fate.Delivered) {
            fateKinds.merge("delivered", 1L, Long::sum);
        } else if (f instanceof Fate.Consumed) {
            fateKinds.merge("consumed", 1L, Long::sum);
        } else {
            problem("skb " + id + ": unknown fate " + f);
        }
    }

    /**
     * What Linux guarantees of a frame it sends on a host that forwards nothing: at least an
     * Ethernet header, the interface's MAC as source, a valid IPv4 header checksum, and a
     * valid TCP / UDP / ICMP checksum on an unfragmented packet (offloads are off).
     */
    private void checkTransmitted(long id, Fate.Transmitted t, Origin origin) {
        byte[] f = t.frame();
        String where = "skb " + id + " transmitted on " + t.dev() + " hex=" + hex(f) + ", from " + origin;
        if (f.length < ETH_HLEN) {
            problem("a frame shorter than an Ethernet header: " + where);
            return;
        }
        if (!java.util.Arrays.equals(f, 6, 12, OUR_MAC, 0, 6)) problem("source MAC is not the interface's: " + where);
        int ip = ipv4Offset(f);
        if (ip < 0) return;
        int ihl = (f[ip] & 0x0f) * 4;
        if (ihl < 20 || ip + ihl > f.length) {
            problem("an IPv4 header that does not fit: " + where);
            return;
        }
        if (InetChecksum.compute(f, ip, ihl) != 0) problem("bad IPv4 header checksum: " + where);
        int total = Bytes.u16(f, ip + 2);
        if (total < ihl || ip + total > f.length) {
            problem("IPv4 total length beyond the frame: " + where);
            return;
        }
        if (isFragment(f, ip)) return;
        int l4 = ip + ihl, len = total - ihl;
        int src = Bytes.u32(f, ip + 12), dst = Bytes.u32(f, ip + 16);
        int proto = Bytes.u8(f, ip + 9);
        boolean ok = true;
        if (proto == IPPROTO_TCP && len >= 20) ok = InetChecksum.transport(src, dst, IPPROTO_TCP, f, l4, len) == 0;
        else if (proto == IPPROTO_UDP && len >= 8 && Bytes.u16(f, l4 + 6) != 0) ok = InetChecksum.transport(src, dst, IPPROTO_UDP, f, l4, len) == 0;
        else if (proto == IPPROTO_ICMP && len >= 4) ok = InetChecksum.compute(f, l4, len) == 0;
        if (!ok) problem("bad transport checksum (protocol " + proto + "): " + where);
    }

    /** The action ended: every fate it wrote must be of an skb that was born. */
    void endOfAction() {
        for (Long id : fatedUnborn) problem("a fate for skb " + id + ", which never entered nor was spawned; during " + current);
        fatedUnborn.clear();
    }

    private void problem(String p) {
        if (problems.size() < 20) problems.add(p);
    }

    List<String> problems() { return problems; }

    /** The skbs still in flight (born, no fate), with the frames they came from. */
    Map<Long, Origin> inFlight() { return live; }

    boolean bornEqualsFated() { return born.equals(fated); }

    long counter(String name) { return counters.getOrDefault(name, 0L); }

    long link(String dev, String stat) { return links.getOrDefault(dev + "." + stat, 0L); }
}
