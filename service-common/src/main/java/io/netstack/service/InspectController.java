package io.netstack.service;

import io.netstack.layer.L3Layer;
import io.netstack.net.ipv4.L3Host;
import io.netstack.net.netfilter.IpTables;
import io.netstack.net.netfilter.Ruleset;
import io.netstack.stack.Layer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * What only a running l3 instance knows, read by {@code netstack iptables -L -v},
 * {@code iptables-save -c} and {@code ip neigh show}: the rule counters and the neighbour
 * table live in the instance, not in the configuration. Plain text, as the tools print it.
 * Every instance answers for what it has seen; with several l3 instances each holds the
 * counters of the flows its partitions carried.
 *
 * <pre>
 *   GET /netstack/iptables?netns=r&amp;table=nat   iptables -t nat -L -v -n
 *   GET /netstack/iptables-save?netns=r          iptables-save -c
 *   GET /netstack/neigh?netns=r                  ip neigh show
 * </pre>
 */
@RestController
public class InspectController {

    private final Layer layer;
    private final LayerRuntime runtime;

    public InspectController(Layer layer, LayerRuntime runtime) {
        this.layer = layer;
        this.runtime = runtime;
    }

    @GetMapping(path = "/netstack/iptables", produces = MediaType.TEXT_PLAIN_VALUE)
    public ResponseEntity<String> iptables(@RequestParam String netns, @RequestParam(defaultValue = "filter") String table) {
        return withRules(netns, rs -> {
            String t = rs.listVerbose(table);
            if (t.isEmpty()) t = new Ruleset().listVerboseEmpty(table);
            return t;
        });
    }

    @GetMapping(path = "/netstack/iptables-save", produces = MediaType.TEXT_PLAIN_VALUE)
    public ResponseEntity<String> iptablesSave(@RequestParam String netns) {
        return withRules(netns, Ruleset::save);
    }

    @GetMapping(path = "/netstack/neigh", produces = MediaType.TEXT_PLAIN_VALUE)
    public ResponseEntity<String> neigh(@RequestParam String netns) {
        if (!(layer instanceof L3Layer l3)) return notHere();
        String out = runtime.inspect(() -> {
            L3Host h = l3.host(netns);
            return h == null ? null : h.neigh().show();
        });
        return out == null ? noHost(netns) : ResponseEntity.ok(out);
    }

    private ResponseEntity<String> withRules(String netns, java.util.function.Function<Ruleset, String> show) {
        if (!(layer instanceof L3Layer l3) || !(l3.netfilter() instanceof IpTables ipt)) return notHere();
        String out = runtime.inspect(() -> {
            if (l3.host(netns) == null) return null;
            Ruleset rs = ipt.ruleset(netns);
            return show.apply(rs == null ? new Ruleset() : rs);
        });
        return out == null ? noHost(netns) : ResponseEntity.ok(out);
    }

    private static ResponseEntity<String> notHere() {
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body("this instance runs no l3 layer with iptables\n");
    }

    private static ResponseEntity<String> noHost(String netns) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body("no host '" + netns + "' configured here\n");
    }
}
