package io.netstack.launcher.chaos;

import io.netstack.launcher.StackLauncher;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs a chaos run's faults side by side: each on its own thread from the moment it is due, so a
 * fault does not wait for a slow restart before it (as a user's kill does not), and several are
 * under way at once. Two faults on the same instance take turns (a kill of a frozen process
 * would race its SIGCONT); a fault touching two instances takes both in name order.
 */
final class FaultInjector implements AutoCloseable {

    private final StackLauncher stack;
    private final PrintStream log;
    private final long t0;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "chaos-fault");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, ReentrantLock> instanceLocks = new ConcurrentHashMap<>();
    private final List<Future<ChaosRun.Fault>> running = new ArrayList<>();

    FaultInjector(StackLauncher stack, PrintStream log, long t0) {
        this.stack = stack;
        this.log = log;
        this.t0 = t0;
    }

    /** Starts {@code f} now, on its own thread. */
    void start(ChaosRun.Fault f) {
        running.add(threads.submit(() -> run(f)));
    }

    private ChaosRun.Fault run(ChaosRun.Fault f) throws InterruptedException {
        List<ReentrantLock> locks = f.instances().stream().sorted()
                .map(i -> instanceLocks.computeIfAbsent(i, k -> new ReentrantLock())).toList();
        for (ReentrantLock l : locks) l.lockInterruptibly();
        try {
            long start = ChaosRun.Clock.now();
            log.printf("chaos: t=%5.1f s  %s%n", (start - t0) / 1e9, f.describe());
            ChaosRun.inject(stack, f);
            ChaosRun.Fault ran = f.ran(start, ChaosRun.Clock.now());
            log.printf("chaos: t=%5.1f s  %s: back in %d ms%n", (ran.endNanos() - t0) / 1e9, f.describe(),
                    (ran.endNanos() - ran.startNanos()) / 1_000_000);
            return ran;
        } finally {
            for (ReentrantLock l : locks) l.unlock();
        }
    }

    /** Waits for every started fault to end; the faults as they ran, in order of their start. */
    List<ChaosRun.Fault> awaitAll() throws Exception {
        List<ChaosRun.Fault> done = new ArrayList<>();
        for (Future<ChaosRun.Fault> f : running) done.add(f.get());
        done.sort(Comparator.comparingLong(ChaosRun.Fault::startNanos));
        return done;
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
