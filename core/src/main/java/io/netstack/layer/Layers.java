package io.netstack.layer;

import io.netstack.net.netfilter.IpTables;
import io.netstack.stack.Layer;

import java.util.List;

/** The five layers of the stack, new and empty. */
public final class Layers {
    private Layers() {}

    public static List<Layer> standard() {
        return List.of(new NicLayer(), new SoftirqLayer(), new L3Layer(new IpTables()), new L4Layer(), new SocketLayer());
    }

    /** One layer by name, for a service that runs just that one. */
    public static Layer byName(String name) {
        return standard().stream().filter(l -> l.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no layer '" + name + "' (nic, softirq, l3, l4, socket)"));
    }
}
