package io.netstack.cli;

import io.netstack.stack.SkbEvent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The statistics of `netstack bench`: percentiles of latencies, and per-hop latencies from an skb's events. */
public final class BenchStats {
    private BenchStats() {}

    /** count, p50, p99 and max of a set of latencies (nanoseconds); all 0 when empty. */
    public record Summary(int count, long p50, long p99, long max) {
        public static final Summary EMPTY = new Summary(0, 0, 0, 0);

        /** "p50 1.23 ms  p99 4.56 ms  (n=100)". */
        public String format() {
            if (count == 0) return "n/a (no samples)";
            return String.format(java.util.Locale.ROOT, "p50 %8.2f ms   p99 %8.2f ms   max %8.2f ms   (n=%d)",
                    p50 / 1e6, p99 / 1e6, max / 1e6, count);
        }
    }

    /**
     * The nearest-rank percentile: the smallest sample such that at least {@code p} percent of the
     * samples are at or below it (rank ceil(p/100 x n), 1-based). p in (0, 100].
     */
    public static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) throw new IllegalArgumentException("no samples");
        if (!(p > 0 && p <= 100)) throw new IllegalArgumentException("percentile " + p + " not in (0, 100]");
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(1, Math.min(rank, sorted.length)) - 1];
    }

    public static Summary summarize(Collection<Long> samples) {
        if (samples.isEmpty()) return Summary.EMPTY;
        long[] a = new long[samples.size()];
        int i = 0;
        for (long v : samples) a[i++] = v;
        Arrays.sort(a);
        return new Summary(a.length, percentile(a, 50), percentile(a, 99), a[a.length - 1]);
    }

    /** "nic->softirq", the name of the hop between two consecutive events of one skb. */
    public static String hopName(String fromLayer, String toLayer) {
        return fromLayer + "->" + toLayer;
    }

    /**
     * Per-hop latencies: for each skb, its events ordered by time, and for each two consecutive
     * events (a layer, then the next layer the skb met) the difference of their times, under the
     * hop's name. Hops appear in the order first seen. Events of other skbs never pair.
     */
    public static Map<String, List<Long>> hopLatencies(Collection<List<SkbEvent>> eventsPerSkb) {
        Map<String, List<Long>> hops = new LinkedHashMap<>();
        for (List<SkbEvent> events : eventsPerSkb) {
            List<SkbEvent> ordered = new ArrayList<>(events);
            ordered.sort(Comparator.comparingLong(SkbEvent::timeNanos));
            for (int i = 1; i < ordered.size(); i++) {
                SkbEvent a = ordered.get(i - 1);
                SkbEvent b = ordered.get(i);
                if (a.skbId() != b.skbId()) throw new IllegalArgumentException("events of skbs " + a.skbId() + " and " + b.skbId() + " in one list");
                hops.computeIfAbsent(hopName(a.layer(), b.layer()), k -> new ArrayList<>()).add(b.timeNanos() - a.timeNanos());
            }
        }
        return hops;
    }

    /** Records per second over a span of nanoseconds (0 when the span is empty). */
    public static double perSecond(long count, long spanNanos) {
        return spanNanos <= 0 ? 0 : count * 1e9 / spanNanos;
    }
}
