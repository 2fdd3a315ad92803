package io.netstack.cli;

import io.netstack.config.ConfigException;
import io.netstack.config.HostConfig;
import io.netstack.config.HostEdit;
import io.netstack.config.SysctlRegistry;
import io.netstack.launcher.StackClient;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The host a configuration command changes (`--netns`) and the stack it runs in: the change is
 * made to the host's latest host.yaml on the compacted configuration topic, validated as the
 * services will parse it, and republished, so every instance of every layer gets it (netlink's
 * role). What only a running l3 instance knows (rule counters, the neighbour table) is read from
 * its HTTP endpoint (/netstack/...), found in .netstack/stack.json.
 */
final class HostTarget {

    @Option(names = "--netns", paramLabel = "HOST", required = true, description = "the emulated host (its name on the configuration topic)")
    String netns;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "the stack's Kafka bootstrap servers (default: from .netstack/stack.json)")
    String bootstrap;

    @Option(names = "--state", paramLabel = "FILE", description = "the stack's state file (default: .netstack/stack.json)")
    Path state = StackFile.DEFAULT;

    /** Where the configuration lives: the topic, or a map in a test. */
    interface Store extends AutoCloseable {
        Map<String, String> hosts();

        void publish(String netns, String yaml);

        /** GET of an l3 instance's inspection path ("/netstack/neigh?netns=r"): one body per instance. */
        List<String> inspect(String pathAndQuery) throws IOException;

        @Override default void close() {}
    }

    /** Tests replace it. */
    static java.util.function.Function<HostTarget, Store> stores = HostTargetDefaults.KAFKA;

    Store store() { return stores.apply(this); }

    static Store kafkaStore(HostTarget t) {
        StackFile file = null;
        try {
            file = StackFile.read(t.state);
        } catch (IOException e) {
            if (t.bootstrap == null) throw new Failure(e.getMessage());
        }
        String b = t.bootstrap != null ? t.bootstrap : file.bootstrap();
        if (b == null) throw new Failure("no bootstrap servers in " + t.state + ": pass --bootstrap");
        List<String> l3 = new ArrayList<>();
        if (file != null) for (StackFile.Service s : file.services()) if (s.layer().equals("l3")) l3.add(s.url());
        StackClient client = new StackClient(b);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return new Store() {
            @Override public Map<String, String> hosts() { return client.latestConfigs(); }

            @Override public void publish(String netns, String yaml) { client.publishConfig(netns, yaml); }

            @Override public List<String> inspect(String path) throws IOException {
                if (l3.isEmpty()) throw new Failure("no l3 service in " + t.state + " (its counters live there)");
                List<String> out = new ArrayList<>();
                for (String url : l3) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + path))
                                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) throw new Failure(url + path + ": " + r.body().trim());
                        out.add(r.body());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                }
                return out;
            }

            @Override public void close() { client.close(); }
        };
    }

    static String q(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8); }

    /** A command that cannot go on: its message is printed, exit status 1. */
    static final class Failure extends RuntimeException {
        Failure(String message) { super(message); }
    }

    /** The host's current host.yaml, or a Failure naming the hosts there are. */
    static String current(Store store, String netns) {
        Map<String, String> hosts = store.hosts();
        String yaml = hosts.get(netns);
        if (yaml == null) {
            throw new Failure("no host '" + netns + "' on the configuration topic"
                    + (hosts.isEmpty() ? "" : " (hosts: " + String.join(", ", hosts.keySet()) + ")"));
        }
        return yaml;
    }

    /**
     * Reads the host's host.yaml, applies {@code change}, validates and republishes it.
     * Returns the exit status: 0, 2 when Linux would refuse the change (its message printed),
     * 1 when the result does not parse (the reason printed; the topic untouched).
     */
    int change(PrintWriter err, UnaryOperator<HostEdit> change) {
        try (Store store = store()) {
            String yaml = current(store, netns);
            HostEdit edited;
            try {
                edited = change.apply(HostEdit.of(yaml));
            } catch (HostEdit.Refused e) {
                err.println(e.getMessage());
                return 2;
            }
            HostConfig parsed;
            try {
                parsed = edited.validate(netns);
                io.netstack.net.netfilter.IptablesRestore.parse("host " + netns + " firewall", parsed.firewall());
            } catch (ConfigException e) {
                err.println("netstack: change refused, the configuration is unchanged: " + e.getMessage());
                return 1;
            }
            store.publish(netns, edited.yaml());
            return 0;
        } catch (Failure e) {
            err.println("netstack: " + e.getMessage());
            return 1;
        }
    }

    /** The host's configuration as the services parse it. */
    HostConfig config(Store store) {
        return io.netstack.config.HostConfigParser.parse(current(store, netns), "host " + netns, netns);
    }

    /** Warns about a sysctl nothing implements (it is set, and changes nothing). */
    static void warnUnimplemented(PrintWriter err, String key) {
        if (!SysctlRegistry.implemented(key)) {
            err.println("netstack: warning: " + key + " is not implemented by the emulation: it is set and changes nothing");
        }
    }
}
