package io.netstack.fuzz;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Throws a million random and mutated frames (by default) at the in-process stack with one
 * host (fuzz/host.yaml: a UDP socket on 5353, a TCP listener on 80) and checks that the stack
 * never throws, that every skb gets exactly one fate, that nothing is left in flight once
 * the timers have run out, and that the counters add up as they do in Linux
 * ({@link FuzzStack#violations}).
 *
 * <p>Repeatable: {@code -Dfuzz.seed=N} (printed on every run; random by default),
 * {@code -Dfuzz.frames=N} (default 1,000,000), {@code -Dfuzz.maxSeconds=N} (default 80: a
 * guard for CI's time budget that stops early, with a warning, if the stack got that slow;
 * 0 for none), {@code -Dfuzz.scenarios=DIR} (the conformance
 * scenarios whose in-*.pcap frames are seeds; found above the working directory by default,
 * skipped with a message when absent). A frame that makes the stack throw is printed as hex
 * with the seed: add it to {@link StackFuzzRegressionTest}.
 */
class StackFuzzTest {

    private static final long MILLI = 1_000_000L;

    @Test
    void randomAndMutatedFramesEachGetExactlyOneFate() {
        long seed = seed();
        long frames = Long.getLong("fuzz.frames", 1_000_000L);
        long budgetNanos = Long.getLong("fuzz.maxSeconds", 80L) * 1_000_000_000L;
        String repro = "-Dtest=StackFuzzTest -Dfuzz.seed=" + seed;
        System.out.println("[fuzz] seed=" + seed + " frames=" + frames + " (repeat with " + repro + ")");

        List<SeedFrames.Seed> seeds = new ArrayList<>(SeedFrames.fromScenarios(SeedFrames.scenariosDir()));
        seeds.addAll(SeedFrames.built());
        FrameSource source = new FrameSource(seed, seeds);
        FuzzStack fs = new FuzzStack(source::observe);
        SplittableRandom clock = new SplittableRandom(seed ^ 0x5DEECE66DL);
        System.out.println("[fuzz] " + source.seedCount() + " seed frames");

        long t0 = System.nanoTime();
        FrameSource.Generated g = null;
        long i = 0;
        try {
            for (; i < frames; i++) {
                g = source.next(i);
                fs.inject(i, g.dev(), g.frame(), g.how());
                if (!fs.ledger.problems().isEmpty()) {
                    throw new AssertionError(describe("the books do not add up after", seed, i, g)
                            + "\n" + String.join("\n", fs.ledger.problems()));
                }
                // Time moves: a little every 64 frames, a lot now and then (reassembly and TCP timers).
                if ((i & 63) == 63) fs.advance(clock.nextLong(50 * MILLI));
                if (i % 25_000 == 24_999) {
                    fs.advance(clock.nextLong(1, 40) * FuzzStack.SECOND);
                    if (budgetNanos > 0 && System.nanoTime() - t0 > budgetNanos) {
                        System.out.println("[fuzz] WARNING: time budget -Dfuzz.maxSeconds=" + budgetNanos / 1_000_000_000L
                                + " used up after " + (i + 1) + " of " + frames + " frames; stopping early (the stack got slower?)");
                        i++;
                        break;
                    }
                }
            }
            g = null;
            fs.settle();
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(g == null
                    ? "the stack threw while its timers ran after frame #" + (i - 1) + ", seed=" + seed + "; repeat with " + repro
                    : describe("the stack threw on", seed, i, g), t);
        }
        double secs = (System.nanoTime() - t0) / 1e9;

        FateLedger l = fs.ledger;
        System.out.printf("[fuzz] %,d frames in %.1f s: %,.0f frames/s (seed=%d)%n", fs.injected, secs, fs.injected / secs, seed);
        System.out.println("[fuzz] kinds " + source.counts());
        System.out.println("[fuzz] skbs entered " + l.entered + ", spawned " + l.spawned + ", fates " + l.fates + " " + l.fateKinds);
        System.out.println("[fuzz] drop reasons " + top(l.dropReasons, 12));
        System.out.println("[fuzz] counters " + l.counters);
        System.out.println("[fuzz] links " + l.links);

        List<String> violations = fs.violations();
        if (!violations.isEmpty()) {
            throw new AssertionError("seed=" + seed + " (repeat with " + repro + " -Dfuzz.frames=" + frames + "):\n"
                    + String.join("\n", violations));
        }
    }

    private static long seed() {
        String s = System.getProperty("fuzz.seed");
        if (s == null || s.isBlank()) return new SplittableRandom().nextLong();
        return Long.decode(s.trim());
    }

    static String describe(String what, long seed, long index, FrameSource.Generated g) {
        return what + " frame #" + index + " (" + g.kind() + ": " + g.how() + ") on " + g.dev()
                + ", seed=" + seed + "\n  hex=" + Frames.hex(g.frame())
                + "\n  repeat with -Dtest=StackFuzzTest -Dfuzz.seed=" + seed + " -Dfuzz.frames=" + (index + 1)
                + "; add the hex to StackFuzzRegressionTest";
    }

    private static <K> String top(Map<K, Long> m, int n) {
        return m.entrySet().stream().sorted(Map.Entry.<K, Long>comparingByValue().reversed()).limit(n)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ", "{", "}"));
    }
}
