package io.netstack.replay;

import io.netstack.config.ConfigException;
import io.netstack.config.HostConfig;
import io.netstack.config.HostConfigParser;
import io.netstack.pcap.PcapException;
import io.netstack.pcap.PcapReader;
import io.netstack.pcap.PcapRecord;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One conformance scenario (conformance/README.md): the host (host.yaml), the frames
 * to put on its wires (scenario.yaml's ordered {@code inputs}, each a pcap of one interface)
 * and how long to wait after the last one ({@code settle_ms}). A file that cannot be used is
 * refused with its name and the line (YAML) or byte offset (pcap) of the fault.
 *
 * @param name   the directory's name, which is the scenario's name
 * @param host   host.yaml, parsed under the netns {@code name}; a replay renames it
 * @param inputs in injection order: file by file, frames within a file in order
 */
public record Scenario(String name, Path dir, String description, List<String> tags,
                       List<Input> inputs, int settleMs, HostConfig host) {

    /** FORMAT.md: "settle_ms (default 300)". */
    public static final int DEFAULT_SETTLE_MS = 300;

    /** One entry of {@code inputs}: the frames of one pcap, for the wire of one interface. */
    public record Input(String iface, Path pcap, List<PcapRecord> frames) {}

    private static final Set<String> TOP = Set.of("description", "tags", "inputs", "settle_ms");
    private static final Set<String> INPUT = Set.of("iface", "pcap");

    /** The frames of all inputs in injection order, each with its interface. */
    public List<Frame> frames() {
        List<Frame> out = new ArrayList<>();
        for (Input in : inputs) {
            for (PcapRecord r : in.frames()) out.add(new Frame(in.iface(), r.frame()));
        }
        return out;
    }

    /** One input frame and the interface whose wire it arrives on. */
    public record Frame(String iface, byte[] bytes) {}

    /** Whether {@code dir} looks like a scenario (holds a scenario.yaml). */
    public static boolean isScenario(Path dir) {
        return Files.isRegularFile(dir.resolve("scenario.yaml"));
    }

    /** Reads a scenario directory: scenario.yaml, host.yaml and every input pcap. */
    public static Scenario load(Path dir) {
        Path scenarioFile = dir.resolve("scenario.yaml");
        Path hostFile = dir.resolve("host.yaml");
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        if (!Files.isDirectory(dir)) throw new ScenarioException(dir + ": not a directory");
        if (!Files.isRegularFile(scenarioFile)) throw new ScenarioException(scenarioFile + ": missing (not a scenario directory)");
        if (!Files.isRegularFile(hostFile)) throw new ScenarioException(hostFile + ": missing");
        HostConfig host;
        try {
            host = HostConfigParser.parse(hostFile, name);
        } catch (ConfigException e) {
            throw new ScenarioException(e.getMessage(), e);
        }
        String text;
        try {
            text = Files.readString(scenarioFile);
        } catch (IOException e) {
            throw new ScenarioException(scenarioFile + ": cannot read: " + e.getMessage(), e);
        }
        return new Parser(scenarioFile.toString()).parse(text, dir, name, host);
    }

    /** scenario.yaml, read node by node so that every fault has its line. */
    static final class Parser {
        private final String source;

        Parser(String source) {
            this.source = source;
        }

        Scenario parse(String text, Path dir, String name, HostConfig host) {
            Node root;
            try {
                LoaderOptions options = new LoaderOptions();
                options.setAllowDuplicateKeys(false);
                root = new Yaml(options).compose(new StringReader(text));
            } catch (MarkedYAMLException e) {
                int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
                throw err(line, "not valid YAML: " + e.getProblem());
            } catch (RuntimeException e) {
                throw err(0, "not valid YAML: " + e.getMessage());
            }
            if (root == null) throw err(1, "empty file: a scenario needs inputs");
            if (!(root instanceof MappingNode top)) throw err(root, "the document must be a mapping (key: value)");
            Map<String, Node> f = new LinkedHashMap<>();
            for (NodeTuple t : top.getValue()) {
                String key = scalar(t.getKeyNode(), "a key");
                if (!TOP.contains(key)) throw err(t.getKeyNode(), "unknown key '" + key + "' (known: description, inputs, settle_ms, tags)");
                f.put(key, t.getValueNode());
            }
            String description = f.containsKey("description") ? scalar(f.get("description"), "description") : "";
            List<String> tags = new ArrayList<>();
            if (f.containsKey("tags")) {
                for (Node n : seq(f.get("tags"), "tags")) tags.add(scalar(n, "a tag"));
            }
            int settle = DEFAULT_SETTLE_MS;
            if (f.containsKey("settle_ms")) {
                String v = scalar(f.get("settle_ms"), "settle_ms");
                try {
                    settle = Integer.parseInt(v.trim());
                } catch (NumberFormatException e) {
                    throw err(f.get("settle_ms"), "settle_ms '" + v + "' is not an integer");
                }
                if (settle < 0 || settle > 3_600_000) throw err(f.get("settle_ms"), "settle_ms " + settle + " beyond 0..3600000");
            }
            if (!f.containsKey("inputs")) throw err(top, "missing 'inputs'");
            List<Input> inputs = new ArrayList<>();
            for (Node n : seq(f.get("inputs"), "inputs")) inputs.add(input(n, dir, host));
            if (inputs.isEmpty()) throw err(f.get("inputs"), "'inputs' is empty: a scenario needs at least one input");
            return new Scenario(name, dir, description, List.copyOf(tags), List.copyOf(inputs), settle, host);
        }

        private Input input(Node n, Path dir, HostConfig host) {
            if (!(n instanceof MappingNode m)) throw err(n, "an input must be a mapping {iface: ..., pcap: ...}");
            Map<String, Node> f = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                String key = scalar(t.getKeyNode(), "a key");
                if (!INPUT.contains(key)) throw err(t.getKeyNode(), "unknown input key '" + key + "' (known: iface, pcap)");
                f.put(key, t.getValueNode());
            }
            if (!f.containsKey("iface")) throw err(n, "input without 'iface'");
            if (!f.containsKey("pcap")) throw err(n, "input without 'pcap'");
            String iface = scalar(f.get("iface"), "iface");
            if (host.iface(iface).isEmpty()) {
                throw err(f.get("iface"), "no interface '" + iface + "' in host.yaml (has "
                        + String.join(", ", host.interfaces().stream().map(HostConfig.Interface::name).toList()) + ")");
            }
            String pcapName = scalar(f.get("pcap"), "pcap");
            Path pcap = dir.resolve(pcapName);
            if (pcapName.contains("/") || pcapName.contains("\\") || pcapName.startsWith(".")) {
                throw err(f.get("pcap"), "'" + pcapName + "': a pcap is named by a file name in the scenario's directory");
            }
            if (!Files.isRegularFile(pcap)) throw err(f.get("pcap"), "'" + pcapName + "': no such file in " + dir);
            List<PcapRecord> frames;
            try {
                frames = PcapReader.read(pcap);
            } catch (PcapException e) {
                throw new ScenarioException(e.getMessage(), e);
            }
            return new Input(iface, pcap, List.copyOf(frames));
        }

        private List<Node> seq(Node n, String what) {
            if (n instanceof ScalarNode s && s.getTag().getValue().endsWith(":null")) return List.of();
            if (n instanceof SequenceNode s) return s.getValue();
            throw err(n, what + " must be a list");
        }

        private String scalar(Node n, String what) {
            if (n instanceof ScalarNode s) return s.getValue();
            throw err(n, what + " must be a single value");
        }

        private ScenarioException err(Node at, String message) {
            return err(at == null || at.getStartMark() == null ? 0 : at.getStartMark().getLine() + 1, message);
        }

        private ScenarioException err(int line, String message) {
            return new ScenarioException(source + (line > 0 ? ":" + line : "") + ": " + message);
        }
    }
}
