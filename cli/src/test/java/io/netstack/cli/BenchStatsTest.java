package io.netstack.cli;

import io.netstack.stack.Fate;
import io.netstack.stack.SkbEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchStatsTest {

    /** 1..100: the nearest-rank p-th percentile of 1..100 is p itself. */
    private static final long[] ONE_TO_HUNDRED = new long[100];
    static {
        for (int i = 0; i < 100; i++) ONE_TO_HUNDRED[i] = i + 1;
    }

    @ParameterizedTest(name = "p{1} of {0} = {2}")
    @CsvSource(delimiter = '|', value = {
            // samples (sorted)   | p    | nearest rank
            "7                    | 50   | 7",
            "7                    | 99   | 7",
            "1 2                  | 50   | 1",
            "1 2                  | 51   | 2",
            "1 2 3 4              | 50   | 2",
            "1 2 3 4              | 75   | 3",
            "1 2 3 4              | 100  | 4",
            "10 20 30 40 50       | 99   | 50",
            "10 20 30 40 50       | 20   | 10",
            "10 20 30 40 50       | 21   | 20",
    })
    void nearestRank(String samples, double p, long expected) {
        long[] a = java.util.Arrays.stream(samples.trim().split(" +")).mapToLong(Long::parseLong).toArray();
        assertThat(BenchStats.percentile(a, p)).isEqualTo(expected);
    }

    @Test
    void percentilesOfOneToHundredAreThemselves() {
        assertThat(BenchStats.percentile(ONE_TO_HUNDRED, 50)).isEqualTo(50);
        assertThat(BenchStats.percentile(ONE_TO_HUNDRED, 99)).isEqualTo(99);
        assertThat(BenchStats.percentile(ONE_TO_HUNDRED, 99.5)).isEqualTo(100);
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> BenchStats.percentile(new long[0], 50)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BenchStats.percentile(ONE_TO_HUNDRED, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BenchStats.percentile(ONE_TO_HUNDRED, 101)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void summarySortsUnorderedSamples() {
        List<Long> samples = new ArrayList<>();
        for (long i = 1; i <= 100; i++) samples.add(i * 1_000);
        Collections.shuffle(samples, new java.util.Random(7));
        assertThat(BenchStats.summarize(samples)).isEqualTo(new BenchStats.Summary(100, 50_000, 99_000, 100_000));
        assertThat(BenchStats.summarize(List.of())).isEqualTo(BenchStats.Summary.EMPTY);
    }

    private static SkbEvent ev(long skb, String layer, long t) {
        return new SkbEvent("bench", skb, 0, layer, layer + "-1", t, layer.equals("nic"), List.of(), List.of(), List.of(),
                layer.equals("socket") ? new Fate.Delivered("sock_queue_rcv_skb", "udp 0.0.0.0:5353", "192.0.2.1:1", new byte[0]) : null,
                "");
    }

    @Test
    void hopsPairConsecutiveEventsOfTheSameSkbInTimeOrder() {
        // skb 1's events arrive out of order (two partitions of the events topic): pairing is by time.
        List<SkbEvent> skb1 = List.of(ev(1, "nic", 1_000), ev(1, "l3", 1_700), ev(1, "softirq", 1_300),
                ev(1, "l4", 2_000), ev(1, "socket", 2_900));
        List<SkbEvent> skb2 = List.of(ev(2, "nic", 5_000), ev(2, "softirq", 5_100), ev(2, "l3", 5_600),
                ev(2, "l4", 5_610), ev(2, "socket", 6_000));
        Map<String, List<Long>> hops = BenchStats.hopLatencies(List.of(skb1, skb2));
        assertThat(hops.keySet()).containsExactly("nic->softirq", "softirq->l3", "l3->l4", "l4->socket");
        assertThat(hops.get("nic->softirq")).containsExactly(300L, 100L);
        assertThat(hops.get("softirq->l3")).containsExactly(400L, 500L);
        assertThat(hops.get("l3->l4")).containsExactly(300L, 10L);
        assertThat(hops.get("l4->socket")).containsExactly(900L, 390L);
    }

    @Test
    void anSkbWithOneEventHasNoHopAndEventsOfTwoSkbsDoNotPair() {
        assertThat(BenchStats.hopLatencies(List.of(List.of(ev(3, "nic", 10))))).isEmpty();
        assertThatThrownBy(() -> BenchStats.hopLatencies(List.of(List.of(ev(3, "nic", 10), ev(4, "softirq", 20)))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rate() {
        assertThat(BenchStats.perSecond(500, 250_000_000L)).isEqualTo(2000.0);
        assertThat(BenchStats.perSecond(5, 0)).isZero();
    }
}
