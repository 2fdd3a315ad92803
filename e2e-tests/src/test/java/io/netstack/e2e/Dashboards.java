package io.netstack.e2e;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Every PromQL expression of every dashboard in deploy/grafana/dashboards, with where it comes from. */
final class Dashboards {
    private Dashboards() {}

    record Query(String dashboard, String panel, String expr) {
        @Override public String toString() { return dashboard + " / " + panel + ": " + expr; }
    }

    /** Metrics that only the kafka-exporter container serves (docker compose), not the services. */
    static boolean needsKafkaExporter(String expr) {
        return expr.contains("kafka_");
    }

    static List<Query> queries(Path repo) throws IOException {
        List<Query> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        List<Path> files;
        try (Stream<Path> s = Files.list(repo.resolve("deploy/grafana/dashboards"))) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        for (Path f : files) {
            JsonNode d = json.readTree(f.toFile());
            for (JsonNode p : d.get("panels")) {
                for (JsonNode t : p.path("targets")) {
                    out.add(new Query(d.get("uid").asText(), p.get("title").asText(), t.get("expr").asText()));
                }
            }
        }
        return out;
    }
}
