package io.netstack.cli;

import io.netstack.stack.LayerName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What `netstack up` left in .netstack/stack.json, read leniently: the bootstrap servers (the
 * first string under a key naming "bootstrap") and the services (every object with an HTTP
 * "port", its layer from "layer" or the start of its "instance"/"name").
 */
record StackFile(String bootstrap, List<Service> services) {

    record Service(String layer, String instance, String url, long pid) {}

    static final Path DEFAULT = StackState.file();

    static StackFile read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("no " + file + ": start a stack with `netstack up` (or pass --url)");
        }
        Object root = new tools.jackson.databind.ObjectMapper().readValue(file.toFile(), Object.class);
        String[] bootstrap = {null};
        List<Service> services = new ArrayList<>();
        walk(root, null, bootstrap, services);
        return new StackFile(bootstrap[0], services);
    }

    private static void walk(Object node, String key, String[] bootstrap, List<Service> services) {
        if (node instanceof String str && key != null && key.toLowerCase().contains("bootstrap") && bootstrap[0] == null) {
            bootstrap[0] = str;
        }
        if (node instanceof Map<?, ?> m) {
            Object port = m.get("port");
            if (port == null) port = m.get("httpPort");
            if (port instanceof Number p) {
                String instance = str(m.get("instance"), str(m.get("name"), key));
                String layer = str(m.get("layer"), instance == null ? "?" : instance.replaceAll("[-_].*", ""));
                String host = str(m.get("host"), "127.0.0.1");
                Object pid = m.get("pid");
                if (LayerName.names().contains(layer)) services.add(new Service(layer, instance == null ? layer : instance,
                        "http://" + host + ":" + p.intValue(), pid instanceof Number d ? d.longValue() : -1));
            }
            for (Map.Entry<?, ?> e : m.entrySet()) walk(e.getValue(), String.valueOf(e.getKey()), bootstrap, services);
        } else if (node instanceof List<?> l) {
            for (Object o : l) walk(o, key, bootstrap, services);
        }
    }

    private static String str(Object o, String dflt) {
        return o instanceof String s && !s.isBlank() ? s : dflt;
    }
}
