package io.netstack.cli;

import io.netstack.launcher.DistributedReplay;
import io.netstack.launcher.EventTail;
import io.netstack.replay.ReplayResult;
import io.netstack.replay.Scenario;
import io.netstack.stack.SkbEvent;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The five services over a broker: each scenario a fresh host on the stack {@code netstack up}
 * started (or on one started for this command), fed through the wire topic frame by frame and
 * judged from the events topic ({@link DistributedReplay}). Several scenarios run side by side.
 */
public final class DistributedBackend implements ReplayBackend {

    /** How long one input frame's effects may take before the next frame is sent anyway. */
    static final Duration FRAME_TIMEOUT = Duration.ofSeconds(20);

    private final StackSession session;
    private final EventTail tail;
    private final DistributedReplay replay;
    private final int parallelism;

    DistributedBackend(StackSession session, int parallelism) {
        this.session = session;
        this.parallelism = parallelism;
        EventTail t;
        try {
            t = EventTail.fromEnd(session.bootstrapServers());
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        this.tail = t;
        this.replay = new DistributedReplay(session.client(), tail, FRAME_TIMEOUT);
    }

    /** On the running stack, or a new one started with {@code options}. */
    static DistributedBackend open(StackOptions options, int parallelism, PrintWriter err) {
        return new DistributedBackend(StackSession.attachOrStart(options, err), parallelism);
    }

    StackSession session() { return session; }

    @Override public String name() { return "distributed"; }

    @Override public int parallelism() { return parallelism; }

    @Override
    public ReplayResult replay(Scenario scenario, Consumer<SkbEvent> events) throws Exception {
        return run(scenario, events).result();
    }

    @Override
    public Replayed run(Scenario scenario, Consumer<SkbEvent> events) throws Exception {
        DistributedReplay.Run r = replay.run(scenario, events);
        return new Replayed(r.result(), r.wallTime(), r.notes());
    }

    @Override
    public void close() {
        try {
            tail.close();
        } finally {
            session.close();
        }
    }
}
