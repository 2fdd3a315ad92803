package io.netstack.cli;

import io.netstack.stack.LayerName;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a replay's events into what the demo prints: each input frame's journey (one line per
 * kernel function, like pwru, then the fate of every skb it became) and a per-layer table.
 */
public final class DemoReport {
    private DemoReport() {}

    /**
     * Splits the events by the input frame they descend from: a frame entering at the NIC opens a
     * journey; an skb spawned by another (a reply, a fragment) joins its parent's. Events with no
     * skb (a timer moving counters) are left out.
     */
    public static List<List<SkbEvent>> journeys(List<SkbEvent> events) {
        List<List<SkbEvent>> out = new ArrayList<>();
        Map<Long, Integer> journeyOf = new HashMap<>();
        for (SkbEvent e : events) {
            if (e.skbId() == 0) continue;
            Integer j = journeyOf.get(e.skbId());
            if (j == null) {
                if (e.parentId() != 0 && journeyOf.containsKey(e.parentId())) {
                    j = journeyOf.get(e.parentId());
                } else if ((e.entered() && e.layer().equals("nic")) || out.isEmpty()) {
                    out.add(new ArrayList<>());
                    j = out.size() - 1;
                } else {
                    j = out.size() - 1;
                }
                journeyOf.put(e.skbId(), j);
            }
            out.get(j).add(e);
            for (Long child : e.spawned()) journeyOf.putIfAbsent(child, j);
        }
        return out;
    }

    /**
     * The events with skb ids renumbered 1, 2, 3... in order of first appearance: the services
     * draw ids from per-instance ranges (unique across the stack, but 19 digits long), which
     * would make the journeys hard to read. Parents and spawned lists follow.
     */
    public static List<SkbEvent> renumber(List<SkbEvent> events) {
        Map<Long, Long> ids = new HashMap<>();
        ids.put(0L, 0L);
        java.util.function.LongUnaryOperator id = old -> ids.computeIfAbsent(old, k -> (long) ids.size());
        List<SkbEvent> out = new ArrayList<>(events.size());
        for (SkbEvent e : events) {
            long skb = id.applyAsLong(e.skbId());
            long parent = e.parentId() == 0 ? 0 : id.applyAsLong(e.parentId());
            List<Long> spawned = new ArrayList<>();
            for (Long c : e.spawned()) spawned.add(id.applyAsLong(c));
            out.add(new SkbEvent(e.netns(), skb, parent, e.layer(), e.instance(), e.timeNanos(), e.entered(),
                    List.copyOf(spawned), e.trace(), e.stats(), e.fate(), e.summary(), e.queue()));
        }
        return out;
    }

    /**
     * pwru-style lines of one journey: "skb 3  l3  l3-1  ip_rcv", one per kernel function, the
     * fates after the function that decided them. Where the events carry distinct times (the
     * distributed stack's wall clock), each line starts with the milliseconds since the journey
     * began, and the first line of each visit says how long the skb took to get there from its
     * previous visit (the hop: the queue's topic, the commit of the hop before, the poll).
     */
    public static List<String> journeyLines(List<SkbEvent> journey) {
        List<String> lines = new ArrayList<>();
        Map<Long, Boolean> fated = new LinkedHashMap<>();
        boolean timed = journey.stream().mapToLong(SkbEvent::timeNanos).distinct().count() > 1;
        long start = journey.isEmpty() ? 0 : journey.get(0).timeNanos();
        Map<Long, SkbEvent> previous = new HashMap<>();
        for (SkbEvent e : journey) {
            String who = String.format("skb %-3d %s", e.skbId(),
                    e.parentId() != 0 ? "(from " + e.parentId() + ")" : "");
            SkbEvent prev = previous.containsKey(e.skbId()) ? previous.get(e.skbId()) : previous.get(e.parentId());
            String hop = timed && prev != null
                    ? String.format("   <- %s ms after %s", millis(e.timeNanos() - prev.timeNanos()), prev.layer()) : "";
            String at = timed ? String.format("%9s  ", millis(e.timeNanos() - start)) : "";
            boolean firstLine = true;
            for (SkbEvent.TraceEntry t : e.trace()) {
                lines.add(String.format("  %s%-16s %-8s %-11s %s%s", at, who, e.layer(), e.instance(), t.function(),
                        firstLine ? hop : ""));
                firstLine = false;
            }
            fated.putIfAbsent(e.skbId(), false);
            if (e.fate() != null) {
                fated.put(e.skbId(), true);
                lines.add(String.format("  %s%-16s %-8s %-11s => %s%s", at, who, e.layer(), e.instance(), fate(e.fate()),
                        firstLine ? hop : ""));
            }
            previous.put(e.skbId(), e);
        }
        fated.forEach((id, done) -> {
            if (!done) lines.add(String.format("  %sskb %-3d          still in flight (no fate yet)", timed ? "           " : "", id));
        });
        return lines;
    }

    static String millis(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }

    static String fate(Fate f) {
        if (f instanceof Fate.Dropped d) return "DROPPED " + d.reason() + at(d.function());
        if (f instanceof Fate.Consumed c) return "CONSUMED" + at(c.function());
        if (f instanceof Fate.Transmitted t) return "TRANSMITTED on " + t.dev() + ": " + FrameSummary.of(t.frame());
        if (f instanceof Fate.Delivered d) {
            return "DELIVERED to " + d.socket() + " from " + d.peer() + " (" + (d.payload() == null ? 0 : d.payload().length)
                    + " bytes)" + at(d.function());
        }
        return f.toString();
    }

    private static String at(String function) {
        return function == null || function.isEmpty() ? "" : " (in " + function + ")";
    }

    /** Per layer: visits in, passed on to the next queue, and each kind of fate. */
    public record LayerRow(String layer, long in, long passedOn, long transmitted, long delivered, long consumed,
                           Map<String, Long> dropped, List<Long> hopNanos) {
        /** The median time an skb took to reach this layer from its previous visit; -1 when unknown. */
        public long medianHopNanos() {
            if (hopNanos.isEmpty()) return -1;
            List<Long> sorted = new ArrayList<>(hopNanos);
            sorted.sort(null);
            return sorted.get(sorted.size() / 2);
        }

        public long droppedTotal() {
            return dropped.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    public static List<LayerRow> layerTable(List<SkbEvent> events) {
        Map<String, long[]> counts = new LinkedHashMap<>();
        Map<String, Map<String, Long>> drops = new LinkedHashMap<>();
        Map<String, List<Long>> hops = new LinkedHashMap<>();
        Map<Long, Long> lastSeen = new HashMap<>();
        for (String l : LayerName.names()) {
            counts.put(l, new long[5]);
            drops.put(l, new TreeMap<>());
            hops.put(l, new ArrayList<>());
        }
        for (SkbEvent e : events) {
            if (e.skbId() == 0) continue;
            long[] c = counts.computeIfAbsent(e.layer(), k -> new long[5]);
            drops.computeIfAbsent(e.layer(), k -> new TreeMap<>());
            Long before = lastSeen.containsKey(e.skbId()) ? lastSeen.get(e.skbId()) : lastSeen.get(e.parentId());
            if (before != null && e.timeNanos() != before) hops.computeIfAbsent(e.layer(), k -> new ArrayList<>()).add(e.timeNanos() - before);
            lastSeen.put(e.skbId(), e.timeNanos());
            c[0]++;
            Fate f = e.fate();
            if (f == null) c[1]++;
            else if (f instanceof Fate.Transmitted) c[2]++;
            else if (f instanceof Fate.Delivered) c[3]++;
            else if (f instanceof Fate.Consumed) c[4]++;
            else if (f instanceof Fate.Dropped d) drops.get(e.layer()).merge(d.reason().name(), 1L, Long::sum);
        }
        List<LayerRow> rows = new ArrayList<>();
        counts.forEach((l, c) -> rows.add(new LayerRow(l, c[0], c[1], c[2], c[3], c[4], drops.get(l),
                List.copyOf(hops.getOrDefault(l, List.of())))));
        return rows;
    }

    public static List<String> layerTableLines(List<LayerRow> rows) {
        List<String> lines = new ArrayList<>();
        boolean timed = rows.stream().anyMatch(r -> !r.hopNanos().isEmpty());
        lines.add(String.format("  %-8s %5s %9s %11s %9s %8s %7s %s %s", "layer", "in", "passed on", "transmitted",
                "delivered", "consumed", "dropped", timed ? "  hop p50" : "", " drop reasons"));
        for (LayerRow r : rows) {
            StringBuilder reasons = new StringBuilder();
            r.dropped().forEach((k, v) -> reasons.append(reasons.length() == 0 ? "" : ", ").append(k).append(" x").append(v));
            String hop = !timed ? "" : r.medianHopNanos() < 0 ? String.format("%9s", "-")
                    : String.format("%6s ms", millis(r.medianHopNanos()));
            lines.add(String.format("  %-8s %5d %9d %11d %9d %8d %7d %s  %s", r.layer(), r.in(), r.passedOn(), r.transmitted(),
                    r.delivered(), r.consumed(), r.droppedTotal(), hop, reasons));
        }
        return lines;
    }
}
