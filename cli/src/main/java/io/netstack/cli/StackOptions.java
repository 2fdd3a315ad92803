package io.netstack.cli;

import io.netstack.launcher.StackLauncher;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** How a stack is started ({@code up}, and {@code replay} / {@code demo} when no stack is up): picocli mixin. */
public final class StackOptions {

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "4",
            description = "partitions of every data topic: the emulated CPUs (default: ${DEFAULT-VALUE})")
    int cpus = 4;

    @Option(names = "--delivery", paramLabel = "MODE", defaultValue = "exactly-once",
            description = "exactly-once (a Kafka transaction per hop) or at-least-once (default: ${DEFAULT-VALUE})")
    String delivery = "exactly-once";

    @Option(names = "--scale", paramLabel = "LAYER=N[,LAYER=N...]", split = ",",
            description = "instances per layer, e.g. l3=2,l4=2 (default: one of each)")
    Map<String, Integer> scale = new LinkedHashMap<>();

    /** A launcher of the stack these options describe; {@code runDir} null for a temporary one. */
    StackLauncher.Builder builder() {
        if (!delivery.equals("exactly-once") && !delivery.equals("at-least-once")) {
            throw new IllegalArgumentException("--delivery must be exactly-once or at-least-once, not '" + delivery + "'");
        }
        if (cpus < 1) throw new IllegalArgumentException("--cpus must be at least 1");
        StackLauncher.Builder b = StackLauncher.builder().cpus(cpus).delivery(delivery);
        for (Map.Entry<String, Integer> e : scale.entrySet()) {
            if (e.getValue() < 1) throw new IllegalArgumentException("--scale " + e.getKey() + "=" + e.getValue() + ": at least 1");
            b.scale(e.getKey(), e.getValue());
        }
        return b;
    }
}
