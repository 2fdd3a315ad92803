package io.netstack.launcher.chaos;

import io.netstack.stack.LayerName;
import io.netstack.launcher.EventLedger;
import io.netstack.launcher.StackLauncher;
import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a chaos run shows: the skbs' fates from the ledger (none lost, none twice), the TCP
 * connection, and per fault how long its layer took to get back to 90 % of its pre-fault
 * throughput and how deep its input queues got.
 *
 * <p>Throughput of a layer = its events (one per skb visit) per 1 s bucket, buckets counted
 * from the start of the traffic. Recovery of a fault: the pre-fault rate is the mean of the 5
 * buckets before the fault's bucket; from the fault's bucket on (for the fault's length plus 20
 * s) the first bucket below 90 % of it is the dip; the first bucket after the dip at 90 % or
 * more is the recovery, reported as its start minus the fault's start (0 when the layer never
 * dipped: the other instances or the queues absorbed it within a bucket; -1 when it never came
 * back in the window). A broker restart touches every layer: the slowest layer counts. Deepest
 * queue: the largest summed consumer lag of the layer's group sampled from the fault's start to
 * its recovery (at least 10 s).
 */
public record ChaosReport(
        long seed, int faultCount, double durationSeconds, int rate, Map<String, Integer> scale,
        long injected, long born, long delivered, long transmitted, long consumed,
        Map<String, Long> droppedByReason, long lost, long duplicated, long fatesWithoutBirth,
        int tcpSurvived, int tcpConnections, long udpSent, long udpEchoed, long pingsSent,
        List<FaultResult> faults, Map<String, TreeMap<Long, Long>> throughput, long originNanos, List<String> notes) {

    public record FaultResult(ChaosRun.Fault fault, double atSeconds, long backMillis, double preRate,
                              long recoveryMillis, long deepestQueue) {}

    static final int PRE_BUCKETS = 5;

    public boolean ok() { return lost == 0 && duplicated == 0 && tcpSurvived == tcpConnections; }

    public static ChaosReport of(ChaosRun.Options o, EventLedger ledger, List<ChaosRun.Fault> faults,
                                 List<QueueLag.Sample> lag, long t0, long trafficEnd, long udpSent, long udpEchoed,
                                 long pingsSent, int tcpSurvived, int tcpConnections, List<String> notes) {
        long delivered = 0;
        long transmitted = 0;
        long consumed = 0;
        Map<String, Long> dropped = new TreeMap<>();
        for (long id : ledger.born()) {
            List<Fate> fs = ledger.fatesOf(id);
            if (fs.isEmpty()) continue;
            Fate f = fs.get(0);
            if (f instanceof Fate.Delivered) delivered++;
            else if (f instanceof Fate.Transmitted) transmitted++;
            else if (f instanceof Fate.Consumed) consumed++;
            else if (f instanceof Fate.Dropped d) dropped.merge(d.reason().name(), 1L, Long::sum);
        }
        Map<String, TreeMap<Long, Long>> tput = new LinkedHashMap<>();
        for (String l : LayerName.names()) tput.put(l, new TreeMap<>());
        for (SkbEvent e : ledger.events()) {
            TreeMap<Long, Long> m = tput.get(e.layer());
            if (m == null) continue;
            m.merge(Math.floorDiv(e.timeNanos() - t0, 1_000_000_000L), 1L, Long::sum);
        }
        List<FaultResult> results = new ArrayList<>();
        for (ChaosRun.Fault f : faults) {
            List<String> layers = "broker".equals(f.layer()) ? LayerName.names() : List.of(f.layer());
            long recovery = 0;
            double pre = 0;
            for (String l : layers) {
                double p = preRate(tput.get(l), f, t0);
                long r = recovery(tput.get(l), f, t0, p);
                if (r < 0 || (recovery >= 0 && r > recovery)) recovery = r;
                pre = Math.max(pre, p);
            }
            long until = f.startNanos() + Math.max(10_000_000_000L, recovery < 0 ? 30_000_000_000L : recovery * 1_000_000L + 1_000_000_000L);
            long deepest = 0;
            for (QueueLag.Sample s : lag) {
                if (s.timeNanos() >= f.startNanos() && s.timeNanos() <= until && layers.contains(s.layer()))
                    deepest = Math.max(deepest, s.lag());
            }
            results.add(new FaultResult(f, (f.startNanos() - t0) / 1e9, (f.endNanos() - f.startNanos()) / 1_000_000,
                    pre, recovery, deepest));
        }
        List<String> allNotes = new ArrayList<>(notes);
        int shown = 0;
        for (long id : ledger.inFlight()) {
            if (shown++ == 20) { allNotes.add("... and more lost skbs"); break; }
            allNotes.add("lost " + trail(ledger, id, t0));
        }
        return new ChaosReport(o.seed(), o.faults(), (trafficEnd - t0) / 1e9, o.rate(), o.scale(),
                ledger.entered().size(), ledger.born().size(), delivered, transmitted, consumed, dropped,
                ledger.inFlight().size(), ledger.multipleFates().size(), ledger.fatesWithoutBirth().size(),
                tcpSurvived, tcpConnections, udpSent, udpEchoed, pingsSent, results, tput, t0, List.copyOf(allNotes));
    }

    /** Where a lost skb was last seen: each event's time, layer, instance, last function and the queue it was handed to. */
    static String trail(EventLedger ledger, long id, long t0) {
        StringBuilder b = new StringBuilder("skb ").append(id).append(':');
        List<SkbEvent> events = ledger.eventsOf(id);
        if (events.isEmpty()) {
            b.append(" spawned, never seen; spawned by");
            for (SkbEvent e : ledger.events()) {
                if (!e.spawned().contains(id)) continue;
                String last = e.trace().isEmpty() ? "-" : e.trace().get(e.trace().size() - 1).function();
                b.append(String.format(Locale.ROOT, " [%.1f s %s %s/%s skb %d %s]", (e.timeNanos() - t0) / 1e9,
                        e.netns(), e.layer(), e.instance(), e.skbId(), last));
            }
        }
        for (SkbEvent e : events) {
            String last = e.trace().isEmpty() ? "-" : e.trace().get(e.trace().size() - 1).function();
            b.append(String.format(Locale.ROOT, " [%.1f s %s %s/%s %s -> %s]", (e.timeNanos() - t0) / 1e9, e.netns(),
                    e.layer(), e.instance(), last, e.queue().isEmpty() ? "no queue" : e.queue()));
        }
        return b.toString();
    }

    static long bucketOf(long nanos, long t0) { return Math.floorDiv(nanos - t0, 1_000_000_000L); }

    static double preRate(TreeMap<Long, Long> series, ChaosRun.Fault f, long t0) {
        long b = bucketOf(f.startNanos(), t0);
        double sum = 0;
        for (long k = b - PRE_BUCKETS; k < b; k++) sum += series.getOrDefault(k, 0L);
        return sum / PRE_BUCKETS;
    }

    /** Milliseconds from the fault's start to the first bucket back at 90 % after a dip; 0 without a dip; -1 never. */
    static long recovery(TreeMap<Long, Long> series, ChaosRun.Fault f, long t0, double pre) {
        if (pre <= 0) return 0;
        long b0 = bucketOf(f.startNanos(), t0);
        long last = bucketOf(f.endNanos(), t0) + 20;
        long dip = Long.MIN_VALUE;
        for (long k = b0; k <= last; k++) {
            if (series.getOrDefault(k, 0L) < 0.9 * pre) { dip = k; break; }
        }
        if (dip == Long.MIN_VALUE) return 0;
        Long lastKey = series.isEmpty() ? null : series.lastKey();
        for (long k = dip + 1; lastKey != null && k <= lastKey && k <= dip + 60; k++) {
            if (series.getOrDefault(k, 0L) >= 0.9 * pre) {
                long startOfBucket = t0 + k * 1_000_000_000L;
                return Math.max(0, (startOfBucket - f.startNanos()) / 1_000_000);
            }
        }
        return -1;
    }

    /** The report as text lines for a terminal. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "seed %d, %d faults over %.0f s of traffic, %d datagrams/s, scale %s",
                seed, faults.size(), durationSeconds, rate, scale));
        out.add(String.format(Locale.ROOT, "packets injected %d (skbs born %d): delivered %d, transmitted %d, consumed %d, dropped %d %s",
                injected, born, delivered, transmitted, consumed, droppedByReason.values().stream().mapToLong(Long::longValue).sum(),
                droppedByReason));
        out.add(String.format(Locale.ROOT, "LOST (no fate) %d, DUPLICATED (two fates) %d, fates without birth %d",
                lost, duplicated, fatesWithoutBirth));
        out.add(String.format(Locale.ROOT, "tcp connections surviving %d of %d; udp sent %d, echoed %d; pings %d",
                tcpSurvived, tcpConnections, udpSent, udpEchoed, pingsSent));
        out.add("fault                                              at s   back ms  pre/s  90% after ms  deepest queue");
        for (FaultResult r : faults) {
            out.add(String.format(Locale.ROOT, "%-50s %5.1f %8d %6.0f %13s %14d", r.fault().describe(), r.atSeconds(),
                    r.backMillis(), r.preRate(), r.recoveryMillis() < 0 ? "never" : Long.toString(r.recoveryMillis()),
                    r.deepestQueue()));
        }
        notes.forEach(n -> out.add("note: " + n));
        return out;
    }

    public void writeJson(Path file) throws IOException {
        StringBuilder j = new StringBuilder("{\n");
        j.append("  \"seed\": ").append(seed).append(",\n");
        j.append("  \"durationSeconds\": ").append(fmt(durationSeconds)).append(",\n");
        j.append("  \"rate\": ").append(rate).append(",\n");
        j.append("  \"scale\": ").append(map(scale)).append(",\n");
        j.append("  \"packets\": {\"injected\": ").append(injected).append(", \"born\": ").append(born)
                .append(", \"delivered\": ").append(delivered).append(", \"transmitted\": ").append(transmitted)
                .append(", \"consumed\": ").append(consumed).append(", \"droppedByReason\": ").append(map(droppedByReason))
                .append(", \"lost\": ").append(lost).append(", \"duplicated\": ").append(duplicated)
                .append(", \"fatesWithoutBirth\": ").append(fatesWithoutBirth).append("},\n");
        j.append("  \"tcp\": {\"connections\": ").append(tcpConnections).append(", \"survived\": ").append(tcpSurvived).append("},\n");
        j.append("  \"udp\": {\"sent\": ").append(udpSent).append(", \"echoed\": ").append(udpEchoed).append("},\n");
        j.append("  \"pingsSent\": ").append(pingsSent).append(",\n");
        j.append("  \"faults\": [\n");
        for (int i = 0; i < faults.size(); i++) {
            FaultResult r = faults.get(i);
            j.append("    {\"fault\": ").append(str(r.fault().describe())).append(", \"kind\": ").append(str(r.fault().kind()))
                    .append(", \"layer\": ").append(str(r.fault().layer())).append(", \"instance\": ").append(str(r.fault().instance()))
                    .append(", \"atSeconds\": ").append(fmt(r.atSeconds())).append(", \"instanceBackMillis\": ").append(r.backMillis())
                    .append(", \"preFaultEventsPerSecond\": ").append(fmt(r.preRate()))
                    .append(", \"throughputBackTo90PercentMillis\": ").append(r.recoveryMillis() < 0 ? "null" : Long.toString(r.recoveryMillis()))
                    .append(", \"deepestQueue\": ").append(r.deepestQueue()).append('}').append(i + 1 < faults.size() ? ",\n" : "\n");
        }
        j.append("  ],\n");
        j.append("  \"throughputPerSecond\": {");
        int li = 0;
        for (Map.Entry<String, TreeMap<Long, Long>> e : throughput.entrySet()) {
            j.append(li++ == 0 ? "\n" : ",\n").append("    ").append(str(e.getKey())).append(": {");
            int bi = 0;
            for (Map.Entry<Long, Long> b : e.getValue().entrySet()) {
                j.append(bi++ == 0 ? "" : ", ").append('"').append(b.getKey()).append("\": ").append(b.getValue());
            }
            j.append('}');
        }
        j.append("\n  },\n");
        j.append("  \"notes\": [");
        for (int i = 0; i < notes.size(); i++) j.append(i == 0 ? "" : ", ").append(str(notes.get(i)));
        j.append("],\n");
        j.append("  \"ok\": ").append(ok()).append("\n}\n");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, j, StandardCharsets.UTF_8);
    }

    private static String fmt(double d) { return String.format(Locale.ROOT, "%.3f", d); }

    private static String map(Map<String, ? extends Number> m) {
        StringBuilder b = new StringBuilder("{");
        int i = 0;
        for (Map.Entry<String, ? extends Number> e : m.entrySet()) {
            b.append(i++ == 0 ? "" : ", ").append(str(e.getKey())).append(": ").append(e.getValue());
        }
        return b.append('}').toString();
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
