package io.netstack.cli;

/** The configuration store the commands use outside tests: the stack's topic and l3 endpoints. */
final class HostTargetDefaults {
    private HostTargetDefaults() {}

    static final java.util.function.Function<HostTarget, HostTarget.Store> KAFKA = HostTarget::kafkaStore;
}
