package io.netstack.cli;

import io.netstack.replay.InProcessReplay;
import io.netstack.replay.ReplayResult;
import io.netstack.replay.Scenario;
import io.netstack.stack.SkbEvent;

import java.util.function.Consumer;

/** The five layers in this JVM with a driven clock: fast and repeatable, no broker. */
public final class InProcessBackend implements ReplayBackend {

    @Override public String name() { return "in-process"; }

    @Override
    public ReplayResult replay(Scenario scenario, Consumer<SkbEvent> events) {
        return InProcessReplay.run(scenario, events);
    }
}
