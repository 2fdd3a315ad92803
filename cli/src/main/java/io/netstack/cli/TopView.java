package io.netstack.cli;

import io.netstack.stack.LayerName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One screen of `netstack top` from two scrapes of every service: per layer the rates of skbs in,
 * out and dropped, the queue depth (consumer lag), hop latency quantiles and dead letters; then the
 * drops by layer and kernel reason, and the deepest queues. Pure: the command feeds it scrapes.
 */
final class TopView {
    private TopView() {}

    /** One service's scrape: null samples when it did not answer. */
    record Scrape(StackFile.Service service, List<PromText.Sample> samples) {}

    static String render(List<Scrape> before, List<Scrape> now, double seconds, String header) {
        Map<String, Double> prev = index(before);
        StringBuilder b = new StringBuilder();
        long up = now.stream().filter(s -> s.samples() != null).count();
        b.append(header).append(String.format(Locale.ROOT, "   %d/%d services up   rates over %.1fs%n%n", up, now.size(),
                seconds));
        b.append(String.format(Locale.ROOT, "%-8s %3s %10s %10s %9s %7s %9s %9s %9s %5s%n", "LAYER", "UP", "IN/s",
                "OUT/s", "DROP/s", "DEPTH", "HOP p50", "HOP p99", "E2E p99", "DLQ"));
        Map<String, Double> dropsByReason = new HashMap<>();
        Map<String, Double> depthByQueue = new TreeMap<>();
        for (String layer : LayerName.names()) {
            int instances = 0;
            int answering = 0;
            double in = 0, out = 0, drop = 0, depth = 0, dlq = 0;
            Map<Double, Double> hop = new TreeMap<>();
            Map<Double, Double> e2e = new TreeMap<>();
            for (Scrape s : now) {
                if (!s.service().layer().equals(layer)) continue;
                instances++;
                if (s.samples() == null) continue;
                answering++;
                String id = s.service().url();
                for (PromText.Sample x : s.samples()) {
                    switch (x.name()) {
                        case "netstack_skb_in_total": in += delta(prev, id, x); break;
                        case "netstack_skb_out_total": out += delta(prev, id, x); break;
                        case "netstack_skb_dropped_total": {
                            double d = delta(prev, id, x);
                            drop += d;
                            dropsByReason.merge(layer + " " + x.label("reason"), d, Double::sum);
                            break;
                        }
                        case "netstack_queue_depth":
                            depth += x.value();
                            depthByQueue.merge(layer + " " + x.label("queue") + " cpu" + x.label("partition"), x.value(),
                                    Double::sum);
                            break;
                        case "netstack_skb_dead_lettered_total": dlq += x.value(); break;
                        case "netstack_hop_latency_seconds_bucket":
                            hop.merge(le(x), delta(prev, id, x), Double::sum);
                            break;
                        case "netstack_e2e_latency_seconds_bucket":
                            e2e.merge(le(x), delta(prev, id, x), Double::sum);
                            break;
                        default: break;
                    }
                }
            }
            if (instances == 0) continue;
            b.append(String.format(Locale.ROOT, "%-8s %3s %10.1f %10.1f %9.1f %7.0f %9s %9s %9s %5.0f%n", layer,
                    answering + (answering == instances ? "" : "/" + instances), in / seconds, out / seconds,
                    drop / seconds, depth, duration(quantile(0.5, hop)), duration(quantile(0.99, hop)),
                    duration(quantile(0.99, e2e)), dlq));
        }
        b.append(String.format(Locale.ROOT, "%nDROPS BY REASON (/s)%n"));
        List<Map.Entry<String, Double>> drops = new ArrayList<>(dropsByReason.entrySet());
        drops.removeIf(e -> e.getValue() <= 0);
        drops.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
        if (drops.isEmpty()) b.append("  none\n");
        for (Map.Entry<String, Double> e : drops.subList(0, Math.min(10, drops.size()))) {
            String[] lr = e.getKey().split(" ", 2);
            b.append(String.format(Locale.ROOT, "  %-8s %-32s %9.1f%n", lr[0], lr[1], e.getValue() / seconds));
        }
        b.append(String.format(Locale.ROOT, "%nQUEUE DEPTH (records not yet taken, per partition = emulated CPU)%n"));
        List<Map.Entry<String, Double>> deep = new ArrayList<>(depthByQueue.entrySet());
        deep.removeIf(e -> e.getValue() <= 0);
        deep.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
        if (deep.isEmpty()) b.append("  all queues empty\n");
        for (Map.Entry<String, Double> e : deep.subList(0, Math.min(8, deep.size()))) {
            b.append(String.format(Locale.ROOT, "  %-40s %7.0f%n", e.getKey(), e.getValue()));
        }
        return b.toString();
    }

    private static Map<String, Double> index(List<Scrape> scrapes) {
        Map<String, Double> m = new HashMap<>();
        if (scrapes == null) return m;
        for (Scrape s : scrapes) {
            if (s.samples() == null) continue;
            for (PromText.Sample x : s.samples()) m.put(key(s.service().url(), x), x.value());
        }
        return m;
    }

    private static String key(String id, PromText.Sample x) {
        return id + " " + x.name() + x.labels();
    }

    /** The counter's increase since the previous scrape; a counter that went down restarted: all of it is new. */
    private static double delta(Map<String, Double> prev, String id, PromText.Sample x) {
        Double p = prev.get(key(id, x));
        if (p == null) return 0;
        return x.value() >= p ? x.value() - p : x.value();
    }

    private static double le(PromText.Sample x) {
        String le = x.label("le");
        return "+Inf".equals(le) ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
    }

    /** histogram_quantile over cumulative bucket increases (linear within a bucket); NaN when nothing was observed. */
    static double quantile(double q, Map<Double, Double> cumulative) {
        if (cumulative.isEmpty()) return Double.NaN;
        double total = cumulative.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (total <= 0) return Double.NaN;
        double rank = q * total;
        double lowerBound = 0, lowerCount = 0;
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            if (e.getValue() >= rank) {
                if (e.getKey().isInfinite()) return lowerBound;
                double width = e.getKey() - lowerBound;
                double inBucket = e.getValue() - lowerCount;
                return inBucket <= 0 ? e.getKey() : lowerBound + width * (rank - lowerCount) / inBucket;
            }
            lowerBound = e.getKey();
            lowerCount = e.getValue();
        }
        return lowerBound;
    }

    static String duration(double seconds) {
        if (Double.isNaN(seconds)) return "-";
        if (seconds < 1e-3) return String.format(Locale.ROOT, "%.0fus", seconds * 1e6);
        if (seconds < 1) return String.format(Locale.ROOT, "%.1fms", seconds * 1e3);
        return String.format(Locale.ROOT, "%.2fs", seconds);
    }
}
