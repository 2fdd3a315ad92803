package io.netstack.stack;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The five layers of the stack, in the order a received frame meets them: the one list of
 * their names (services, topics, the launcher, the CLI and metrics all spell a layer so; a
 * layer's service module is "<id>-service").
 */
public enum LayerName {
    NIC("nic", false),
    SOFTIRQ("softirq", false),
    L3("l3", true),
    L4("l4", true),
    SOCKET("socket", true);

    private final String id;
    private final boolean stateful;

    LayerName(String id, boolean stateful) {
        this.id = id;
        this.stateful = stateful;
    }

    /** The layer's name as services, topics and metrics spell it ("nic", "l3"...). */
    public String id() { return id; }

    /** Keeps per-host state, so its input topics are partitioned by host (l3, l4, socket). */
    public boolean stateful() { return stateful; }

    @Override public String toString() { return id; }

    /** Every layer's name, in order: nic, softirq, l3, l4, socket. */
    public static List<String> names() { return Arrays.stream(values()).map(LayerName::id).toList(); }

    /** The names of the layers that keep per-host state. */
    public static Set<String> statefulNames() {
        return Arrays.stream(values()).filter(LayerName::stateful).map(LayerName::id).collect(Collectors.toUnmodifiableSet());
    }

    /** The layer named {@code id}; IllegalArgumentException for no layer. */
    public static LayerName of(String id) {
        for (LayerName l : values()) if (l.id.equals(id)) return l;
        throw new IllegalArgumentException("no layer " + id + " " + names());
    }
}
