package io.netstack.launcher;

import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The events of a run, per skb: what entered, what was spawned, each skb's fates, the counters
 * summed. Proves the stack's bookkeeping (DESIGN.md principle 3): every skb that entered or was
 * spawned has exactly one fate, or is still in flight.
 */
public final class EventLedger {

    private final List<SkbEvent> all = new ArrayList<>();
    private final Map<Long, List<SkbEvent>> bySkb = new LinkedHashMap<>();
    private final Set<Long> born = new LinkedHashSet<>();
    private final Map<Long, List<Fate>> fates = new LinkedHashMap<>();
    private final String netns;

    /** A ledger of every host's events. */
    public EventLedger() {
        this(null);
    }

    /** A ledger of one host's events only (others are ignored). */
    public static EventLedger forHost(String netns) {
        return new EventLedger(netns);
    }

    private EventLedger(String netns) {
        this.netns = netns;
    }

    public synchronized void add(SkbEvent e) {
        if (netns != null && !netns.equals(e.netns())) return;
        all.add(e);
        if (e.skbId() != 0) {
            bySkb.computeIfAbsent(e.skbId(), k -> new ArrayList<>()).add(e);
            if (e.entered()) born.add(e.skbId());
            if (e.fate() != null) fates.computeIfAbsent(e.skbId(), k -> new ArrayList<>()).add(e.fate());
        }
        born.addAll(e.spawned());
    }

    public synchronized void addAll(Collection<SkbEvent> events) {
        events.forEach(this::add);
    }

    public synchronized List<SkbEvent> events() { return List.copyOf(all); }

    /** Ids of the skbs that entered the stack (from the wire, from a socket), in order of arrival. */
    public synchronized List<Long> entered() {
        List<Long> out = new ArrayList<>();
        for (Map.Entry<Long, List<SkbEvent>> e : bySkb.entrySet()) {
            if (e.getValue().stream().anyMatch(SkbEvent::entered)) out.add(e.getKey());
        }
        return out;
    }

    /** Every skb that entered or was spawned. */
    public synchronized Set<Long> born() { return Set.copyOf(born); }

    /** The events of one skb, in the order they were read. */
    public synchronized List<SkbEvent> eventsOf(long skbId) {
        return List.copyOf(bySkb.getOrDefault(skbId, List.of()));
    }

    public synchronized List<Fate> fatesOf(long skbId) {
        return List.copyOf(fates.getOrDefault(skbId, List.of()));
    }

    /** The skb's one fate, or null while it is in flight. */
    public synchronized Fate fate(long skbId) {
        List<Fate> f = fates.get(skbId);
        return f == null || f.isEmpty() ? null : f.get(0);
    }

    /** Skbs born but with no fate yet. */
    public synchronized Set<Long> inFlight() {
        Set<Long> out = new LinkedHashSet<>();
        for (Long id : born) if (!fates.containsKey(id)) out.add(id);
        return out;
    }

    /** Skbs with more than one fate: always a bug. */
    public synchronized Set<Long> multipleFates() {
        Set<Long> out = new LinkedHashSet<>();
        fates.forEach((id, f) -> { if (f.size() > 1) out.add(id); });
        return out;
    }

    /** Skbs that have a fate but never entered nor were spawned (an event stream that lost a record). */
    public synchronized Set<Long> fatesWithoutBirth() {
        Set<Long> out = new LinkedHashSet<>();
        for (Long id : fates.keySet()) if (!born.contains(id)) out.add(id);
        return out;
    }

    /** At least {@code n} skbs entered and none is in flight. */
    public synchronized boolean settled(int n) {
        return entered().size() >= n && inFlight().isEmpty();
    }

    /** Sum of an SNMP counter's deltas for a host (link statistics excluded). */
    public synchronized long counter(String netns, String name) {
        long sum = 0;
        for (SkbEvent e : all) {
            if (!e.netns().equals(netns)) continue;
            for (SkbEvent.StatDelta d : e.stats()) if (!d.isLinkStat() && d.name().equals(name)) sum += d.delta();
        }
        return sum;
    }

    /** Sum of a link statistic's deltas for a host's interface. */
    public synchronized long linkStat(String netns, String dev, String name) {
        long sum = 0;
        for (SkbEvent e : all) {
            if (!e.netns().equals(netns)) continue;
            for (SkbEvent.StatDelta d : e.stats()) if (dev.equals(d.dev()) && d.name().equals(name)) sum += d.delta();
        }
        return sum;
    }

    /** The kernel functions an skb passed, over all its events, in order. */
    public synchronized List<String> trace(long skbId) {
        List<String> out = new ArrayList<>();
        for (SkbEvent e : bySkb.getOrDefault(skbId, List.of())) for (SkbEvent.TraceEntry t : e.trace()) out.add(t.function());
        return out;
    }

    /** The layers that wrote an event for an skb, in order. */
    public synchronized List<String> layers(long skbId) {
        List<String> out = new ArrayList<>();
        for (SkbEvent e : bySkb.getOrDefault(skbId, List.of())) out.add(e.layer());
        return out;
    }
}
