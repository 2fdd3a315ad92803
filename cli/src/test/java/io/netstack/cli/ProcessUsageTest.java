package io.netstack.cli;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** The bench's /proc readings, and its reader threads stopping without an interrupt. */
class ProcessUsageTest {

    @Test
    void cpuTicksAreUtimePlusStimeCountedAfterTheCommandName() {
        // Fields 14 and 15; the command name may hold spaces and parentheses.
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 30 0 100 0 0";
        assertThat(ProcessUsage.cpuTicksOfStat(stat)).isEqualTo(1234 + 567);
    }

    @Test
    void thisProcessHasMemoryAndCpuTime() throws Exception {
        long pid = ProcessHandle.current().pid();
        assertThat(ProcessUsage.memory(pid)).startsWith("VmRSS ").contains(" / VmHWM ");
        assertThat(ProcessUsage.cpuTicks(pid)).isPositive();
        assertThat(ProcessUsage.CLK_TCK).isPositive();
        ProcessUsage.Window w = new ProcessUsage.Window().watch("me", pid).watch("gone", Long.MAX_VALUE).start();
        long until = System.nanoTime() + 200_000_000L;
        double x = 0;
        while (System.nanoTime() < until) x += Math.sqrt(x + 1); // burn some CPU
        w.end();
        assertThat(x).isPositive();
        assertThat(w.seconds()).isGreaterThanOrEqualTo(0.2);
        assertThat(w.cpu("me")).startsWith("cpu ").contains("% of a core");
        assertThat(w.cpu("gone")).isEqualTo("cpu n/a");
    }

    @Test
    void aPollLoopStopsWhenClosedAndIsNotInterrupted() throws Exception {
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        PollLoop loop = PollLoop.start("test-loop", running -> {
            while (running.getAsBoolean()) Thread.sleep(10);
            interrupted.set(Thread.currentThread().isInterrupted());
            finished.set(true);
        });
        loop.close();
        assertThat(finished).isTrue();
        assertThat(interrupted).isFalse();
        assertThat(loop.failure()).isNull();
    }
}
