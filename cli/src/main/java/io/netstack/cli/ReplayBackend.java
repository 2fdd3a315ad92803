package io.netstack.cli;

import io.netstack.replay.ReplayResult;
import io.netstack.replay.Scenario;
import io.netstack.stack.SkbEvent;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a scenario is replayed: the five layers in this process ({@link InProcessBackend}), or
 * the distributed stack of five services over a broker ({@link DistributedBackend}), where the
 * result is collected from the events topic the same way. A backend is closed after the last scenario.
 */
public interface ReplayBackend extends AutoCloseable {

    /** Shown in the output ("in-process", "distributed"). */
    String name();

    /**
     * Replays one scenario under a fresh host and returns what the host did.
     *
     * @param events every event of the replayed host, in order (for a trace; may ignore them)
     */
    ReplayResult replay(Scenario scenario, Consumer<SkbEvent> events) throws Exception;

    /** A replay's result, its wall time, and what the backend noticed on the way (a frame that timed out). */
    record Replayed(ReplayResult result, Duration wallTime, List<String> notes) {}

    /** As {@link #replay}, with the wall time and notes. */
    default Replayed run(Scenario scenario, Consumer<SkbEvent> events) throws Exception {
        long t0 = System.nanoTime();
        ReplayResult r = replay(scenario, events);
        return new Replayed(r, Duration.ofNanos(System.nanoTime() - t0), List.of());
    }

    /** How many scenarios may be replayed at once (each calls {@link #run} on a thread of its own). */
    default int parallelism() { return 1; }

    @Override
    default void close() throws Exception { }
}
