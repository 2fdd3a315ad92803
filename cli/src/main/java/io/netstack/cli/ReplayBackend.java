package io.netstack.cli;

import io.netstack.replay.ReplayResult;
import io.netstack.replay.Scenario;
import io.netstack.stack.SkbEvent;

import java.util.function.Consumer;

/**
 * Where a scenario is replayed: the five layers in this process ({@link InProcessBackend}), or
 * (with the launcher) the distributed stack of five services over a broker, where the result
 * is collected from the events topic the same way. A backend is closed after the last scenario.
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

    @Override
    default void close() throws Exception { }
}
