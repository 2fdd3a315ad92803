package io.netstack.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What `netstack bench` reports of each process from /proc: resident memory (VmRSS, VmHWM of
 * /proc/&lt;pid&gt;/status) and CPU time (utime + stime of /proc/&lt;pid&gt;/stat, in clock ticks) over
 * a measured window, so that the figures say where the time goes: the services, the broker, the
 * relays, or the bench itself.
 */
final class ProcessUsage {
    private ProcessUsage() {}

    /** Clock ticks per second of /proc/&lt;pid&gt;/stat ({@code getconf CLK_TCK}; 100 when that fails). */
    static final long CLK_TCK = clockTicks();

    /** "VmRSS 231 MiB / VmHWM 240 MiB" of /proc/&lt;pid&gt;/status. */
    static String memory(long pid) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            return kib(lines, "VmRSS") + " / " + kib(lines, "VmHWM");
        } catch (IOException e) {
            return "n/a (" + e.getMessage() + ")";
        }
    }

    static String kib(List<String> statusLines, String field) {
        for (String l : statusLines) {
            if (l.startsWith(field + ":")) {
                long kb = Long.parseLong(l.substring(field.length() + 1).trim().split("\\s+")[0]);
                return String.format(Locale.ROOT, "%s %d MiB", field, kb / 1024);
            }
        }
        return field + " n/a";
    }

    /** utime + stime of a process in clock ticks; -1 when it cannot be read (the process is gone). */
    static long cpuTicks(long pid) {
        try {
            return cpuTicksOfStat(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * utime + stime (fields 14 and 15) of a /proc/&lt;pid&gt;/stat line. The command name (field 2)
     * is in parentheses and may hold spaces and parentheses: fields are counted after the last ')'.
     */
    static long cpuTicksOfStat(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // f[0] is field 3 (state): utime, field 14, is f[11]; stime, field 15, is f[12].
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            p.waitFor();
            long t = Long.parseLong(s);
            return t > 0 ? t : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    /** CPU time of named processes between {@link #start} and {@link #end}. */
    static final class Window {
        private final Map<String, Long> pids = new LinkedHashMap<>();
        private final Map<String, Long> startTicks = new LinkedHashMap<>();
        private final Map<String, Long> cpuTicks = new LinkedHashMap<>();
        private long startNanos;
        private long wallNanos = -1;

        /** Adds a process to watch (before {@link #start}). */
        Window watch(String name, long pid) {
            pids.put(name, pid);
            return this;
        }

        Window start() {
            pids.forEach((name, pid) -> startTicks.put(name, cpuTicks(pid)));
            startNanos = System.nanoTime();
            return this;
        }

        Window end() {
            wallNanos = System.nanoTime() - startNanos;
            pids.forEach((name, pid) -> {
                long a = startTicks.getOrDefault(name, -1L);
                long b = cpuTicks(pid);
                cpuTicks.put(name, a < 0 || b < 0 ? -1 : b - a);
            });
            return this;
        }

        /** The window's length in seconds. */
        double seconds() { return wallNanos / 1e9; }

        /** "cpu 12.34 s (87 % of a core)" for a watched process, or "cpu n/a". */
        String cpu(String name) {
            Long t = cpuTicks.get(name);
            if (t == null || t < 0 || wallNanos <= 0) return "cpu n/a";
            double s = (double) t / CLK_TCK;
            return String.format(Locale.ROOT, "cpu %6.2f s (%3.0f %% of a core)", s, 100 * s / seconds());
        }

        /** CPU seconds of the named watched processes together (those that could not be read count 0). */
        double cpuSeconds(java.util.Collection<String> names) {
            long sum = 0;
            for (String name : names) {
                Long t = cpuTicks.get(name);
                if (t != null && t > 0) sum += t;
            }
            return (double) sum / CLK_TCK;
        }
    }
}
