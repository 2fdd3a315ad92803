package io.netstack.replay;

import io.netstack.config.HostConfig;
import io.netstack.stack.InProcessStack;
import io.netstack.stack.SkbEvent;
import io.netstack.stack.WireFrame;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Replays a {@link Scenario} through the five layers in one process (no broker): a new
 * {@link InProcessStack}, the host configured under a fresh netns name, every input frame
 * put on its interface's wire in order, 2 ms apart on the driven clock as the recording
 * harness did, then the clock moved {@code settle_ms} on so that timers due in the window
 * fire. Repeatable: the clock only moves when told.
 */
public final class InProcessReplay {
    private InProcessReplay() {}

    public static final String REFERENCE = "netstack in-process";
    private static final AtomicLong RUNS = new AtomicLong();

    public static ReplayResult run(Scenario s) {
        return run(s, e -> { });
    }

    /** As {@link #run(Scenario)}, also handing every event of the host to {@code events} (a demo's trace). */
    public static ReplayResult run(Scenario s, Consumer<SkbEvent> events) {
        HostConfig host = s.host().withNetns(s.name() + "-" + RUNS.incrementAndGet());
        InProcessStack stack = InProcessStack.create();
        ReplayCollector collector = new ReplayCollector(host, REFERENCE);
        stack.onEvent(collector);
        stack.onEvent(e -> {
            if (e.netns().equals(host.netns())) events.accept(e);
        });
        stack.configure(host);
        int k = 0;
        for (Scenario.Frame f : s.frames()) {
            if (k > 0) stack.advance(ResultJson.INPUT_SPACING_NANOS);
            collector.beginInput(stack.nowNanos());
            stack.receiveFrame(new WireFrame(host.netns(), f.iface(), f.bytes(), stack.nowNanos()));
            k++;
        }
        stack.advance(s.settleMs() * 1_000_000L);
        return collector.result();
    }
}
