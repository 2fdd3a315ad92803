package io.netstack.launcher.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class ChaosReportTest {

    static final long T0 = 1_000_000_000_000L;
    static final long S = 1_000_000_000L;

    /** A series of 100 events a second with the given buckets replaced. */
    static TreeMap<Long, Long> series(Map<Long, Long> dips) {
        TreeMap<Long, Long> m = new TreeMap<>();
        for (long b = 0; b < 40; b++) m.put(b, 100L);
        m.putAll(dips);
        return m;
    }

    static ChaosRun.Fault fault(double atSeconds, double lengthSeconds) {
        long start = T0 + (long) (atSeconds * S);
        return new ChaosRun.Fault("SIGKILL", "l3", "l3-1", null, 0, start, start + (long) (lengthSeconds * S), 0);
    }

    @Test
    void recoveryIsTheFirstBucketBackAt90PercentAfterTheDip() {
        ChaosRun.Fault f = fault(10.5, 6);
        TreeMap<Long, Long> s = series(Map.of(10L, 80L, 11L, 0L, 12L, 0L, 13L, 50L, 14L, 89L, 15L, 95L));
        double pre = ChaosReport.preRate(s, f, T0);
        assertThat(pre).isEqualTo(100.0);
        assertThat(ChaosReport.recovery(s, f, T0, pre)).isEqualTo(4500); // bucket 15 starts 4.5 s after the fault
    }

    @Test
    void noDipMeansZeroAndNoReturnMeansMinusOne() {
        ChaosRun.Fault f = fault(10.5, 3);
        assertThat(ChaosReport.recovery(series(Map.of(11L, 91L)), f, T0, 100)).isZero();
        Map<Long, Long> dead = new LinkedHashMap<>();
        for (long b = 11; b < 40; b++) dead.put(b, 10L);
        assertThat(ChaosReport.recovery(series(dead), f, T0, 100)).isEqualTo(-1);
        assertThat(ChaosReport.recovery(series(dead), f, T0, 0)).isZero(); // no traffic before: nothing to recover
    }

    @Test
    void jsonAndChartAreWritten(@TempDir Path dir) throws Exception {
        ChaosRun.Fault f = fault(10.5, 6);
        Map<String, TreeMap<Long, Long>> tput = new LinkedHashMap<>();
        tput.put("l3", series(Map.of(11L, 0L)));
        ChaosReport r = new ChaosReport(1, 1, 40, 20, Map.of("l3", 2), 10, 12, 5, 4, 1, new TreeMap<>(Map.of("NO_SOCKET", 2L)),
                1, 0, 0, 1, 1, 8, 8, 2, List.of(new ChaosReport.FaultResult(f, 10.5, 6000, 100, 1500, 7)), tput, T0,
                List.of("a \"quoted\" note"));
        assertThat(r.ok()).isFalse(); // one lost
        r.writeJson(dir.resolve("r.json"));
        String json = Files.readString(dir.resolve("r.json"));
        assertThat(json).contains("\"lost\": 1", "\"throughputBackTo90PercentMillis\": 1500", "\"deepestQueue\": 7",
                "\"NO_SOCKET\": 2", "a \\\"quoted\\\" note", "\"ok\": false");
        ChaosChart.write(r, dir.resolve("c.png"));
        byte[] png = Files.readAllBytes(dir.resolve("c.png"));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
}
