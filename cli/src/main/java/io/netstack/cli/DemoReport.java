package io.netstack.cli;

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

    /** The layers in the order a received packet meets them. */
    public static final List<String> LAYERS = List.of("nic", "softirq", "l3", "l4", "socket");

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

    /** pwru-style lines of one journey: "skb 3  l3       ip_rcv", the fates after the function that decided them. */
    public static List<String> journeyLines(List<SkbEvent> journey) {
        List<String> lines = new ArrayList<>();
        Map<Long, Boolean> fated = new LinkedHashMap<>();
        for (SkbEvent e : journey) {
            String who = String.format("skb %-3d %s", e.skbId(),
                    e.parentId() != 0 ? "(from " + e.parentId() + ")" : "");
            for (SkbEvent.TraceEntry t : e.trace()) {
                lines.add(String.format("  %-16s %-8s %s", who, e.layer(), t.function()));
            }
            fated.putIfAbsent(e.skbId(), false);
            if (e.fate() != null) {
                fated.put(e.skbId(), true);
                lines.add(String.format("  %-16s %-8s => %s", who, e.layer(), fate(e.fate())));
            }
        }
        fated.forEach((id, done) -> {
            if (!done) lines.add(String.format("  skb %-3d          still in flight (no fate yet)", id));
        });
        return lines;
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
                           Map<String, Long> dropped) {
        public long droppedTotal() {
            return dropped.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    public static List<LayerRow> layerTable(List<SkbEvent> events) {
        Map<String, long[]> counts = new LinkedHashMap<>();
        Map<String, Map<String, Long>> drops = new LinkedHashMap<>();
        for (String l : LAYERS) {
            counts.put(l, new long[5]);
            drops.put(l, new TreeMap<>());
        }
        for (SkbEvent e : events) {
            if (e.skbId() == 0) continue;
            long[] c = counts.computeIfAbsent(e.layer(), k -> new long[5]);
            drops.computeIfAbsent(e.layer(), k -> new TreeMap<>());
            c[0]++;
            Fate f = e.fate();
            if (f == null) c[1]++;
            else if (f instanceof Fate.Transmitted) c[2]++;
            else if (f instanceof Fate.Delivered) c[3]++;
            else if (f instanceof Fate.Consumed) c[4]++;
            else if (f instanceof Fate.Dropped d) drops.get(e.layer()).merge(d.reason().name(), 1L, Long::sum);
        }
        List<LayerRow> rows = new ArrayList<>();
        counts.forEach((l, c) -> rows.add(new LayerRow(l, c[0], c[1], c[2], c[3], c[4], drops.get(l))));
        return rows;
    }

    public static List<String> layerTableLines(List<LayerRow> rows) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("  %-8s %5s %9s %11s %9s %8s %7s  %s", "layer", "in", "passed on", "transmitted",
                "delivered", "consumed", "dropped", "drop reasons"));
        for (LayerRow r : rows) {
            StringBuilder reasons = new StringBuilder();
            r.dropped().forEach((k, v) -> reasons.append(reasons.length() == 0 ? "" : ", ").append(k).append(" x").append(v));
            lines.add(String.format("  %-8s %5d %9d %11d %9d %8d %7d  %s", r.layer(), r.in(), r.passedOn(), r.transmitted(),
                    r.delivered(), r.consumed(), r.droppedTotal(), reasons));
        }
        return lines;
    }
}
