package io.netstack.e2e;

import io.netstack.stack.LayerName;
import io.netstack.broker.ChildProcess;
import io.netstack.broker.FreePorts;
import io.netstack.broker.RepoRoot;
import io.netstack.launcher.StackLauncher;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboards against a real Prometheus: the stack from StackLauncher, `netstack traffic`
 * playing the demo mix, Prometheus (Debian package `prometheus`; skipped when its binary is missing)
 * started with deploy/prometheus/prometheus.yml and the launcher's file_sd targets file. Checks
 * `promtool check config`, that every service is scraped, and that EVERY expression of EVERY
 * dashboard panel returns data (except the kafka-exporter's, which only docker compose runs).
 */
class DashboardQueriesIT {

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void everyDashboardExpressionReturnsDataFromTheRunningStack() throws Exception {
        Path prometheus = binary("prometheus");
        Path promtool = binary("promtool");
        assumeTrue(prometheus != null && promtool != null,
                "SKIPPED: no prometheus/promtool binary on PATH (apt-get install prometheus) or -Dprometheus.bin");
        Path repo = RepoRoot.find();
        Path cliJar = repo.resolve("cli/target/netstack-cli.jar");
        assertThat(cliJar).as("./mvnw package builds the cli jar").isRegularFile();
        Path run = repo.resolve("e2e-tests/target/prometheus-run-" + System.currentTimeMillis());
        // The project's configuration where it expects to be: <root>/deploy/prometheus/prometheus.yml,
        // its file_sd targets in <root>/.netstack/prometheus-targets*.json.
        Path config = run.resolve("deploy/prometheus/prometheus.yml");
        Files.createDirectories(config.getParent());
        Files.copy(repo.resolve("deploy/prometheus/prometheus.yml"), config);

        ChildProcess check = ChildProcess.start("promtool", List.of(promtool.toString(), "check", "config",
                config.toString()), run, run.resolve("promtool.log"));
        assertThat(check.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.process().exitValue()).as("promtool check config: " + Files.readString(
                run.resolve("promtool.log"))).isZero();

        try (StackLauncher stack = StackLauncher.builder().repoRoot(repo).runDir(run.resolve("stack")).build().start()) {
            stack.writePrometheusTargets(run.resolve(".netstack/prometheus-targets.json"));
            int port = FreePorts.next();
            ChildProcess traffic = ChildProcess.start("traffic", List.of(ChildProcess.javaExecutable(), "-Xmx128m",
                    "-jar", cliJar.toString(), "traffic", "--bootstrap", stack.bootstrapServers(), "--rate", "40"),
                    run, run.resolve("traffic.log"));
            ChildProcess prom = ChildProcess.start("prometheus", List.of(prometheus.toString(),
                    "--config.file=" + config, "--storage.tsdb.path=" + run.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn"), run, run.resolve("prometheus.log"));
            try {
                String api = "http://127.0.0.1:" + port;
                // Every service up, and traffic all the way to the sockets, in Prometheus' own data.
                awaitQuery(api, "count(up{job=\"netstack\"} == 1) == 5", Duration.ofSeconds(90));
                awaitQuery(api, "sum(increase(netstack_skb_in_total{layer=\"socket\"}[1m])) > 0", Duration.ofSeconds(120));
                // A rate needs two samples in its window: a few more scrapes.
                Thread.sleep(12_000);

                List<String> empty = new ArrayList<>();
                int evaluated = 0;
                for (Dashboards.Query q : Dashboards.queries(repo)) {
                    if (Dashboards.needsKafkaExporter(q.expr())) {
                        System.out.println("[DashboardQueriesIT] not evaluated (kafka-exporter runs only in docker compose): " + q);
                        continue;
                    }
                    evaluated++;
                    JsonNode result = query(api, q.expr());
                    if (result.isEmpty()) {
                        // Once more after a scrape, for counters that moved only just now.
                        Thread.sleep(6_000);
                        result = query(api, q.expr());
                    }
                    if (result.isEmpty()) empty.add(q.toString());
                }
                assertThat(evaluated).isGreaterThan(50);
                assertThat(empty).as("dashboard expressions without data").isEmpty();

                // netstack top against the same stack: one screen, every layer with traffic.
                List<String> top = new ArrayList<>(List.of(ChildProcess.javaExecutable(), "-Xmx128m", "-jar",
                        cliJar.toString(), "top", "--once", "--interval", "3"));
                for (StackLauncher.Service s : stack.services()) top.addAll(List.of("--url", s.layer() + "=" + s.url()));
                ChildProcess topRun = ChildProcess.start("top", top, run, run.resolve("top.txt"));
                assertThat(topRun.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
                String screen = Files.readString(run.resolve("top.txt"));
                System.out.println("[DashboardQueriesIT] netstack top --once:\n" + screen);
                assertThat(screen).contains("5/5 services up", "DROPS BY REASON");
                for (String layer : LayerName.names()) assertThat(screen).containsPattern("(?m)^" + layer + "\\s+1\\s+\\d");
            } finally {
                prom.stop(Duration.ofSeconds(5));
                traffic.stop(Duration.ofSeconds(5));
            }
        }
    }

    private JsonNode query(String api, String expr) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/query?query="
                + URLEncoder.encode(expr, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        // A Prometheus still starting answers 503 "Service Unavailable" in plain text: not up yet.
        if (r.statusCode() == 503) throw new java.io.IOException("prometheus not ready: " + r.body().trim());
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("status").asText()).as(expr + ": " + r.body()).isEqualTo("success");
        return body.path("data").path("result");
    }

    private void awaitQuery(String api, String expr, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (!query(api, expr).isEmpty()) return;
            } catch (java.io.IOException notUpYet) {
                // Prometheus still starting
            }
            if (System.nanoTime() > deadline) throw new AssertionError("no data for " + expr + " within " + timeout);
            TimeUnit.SECONDS.sleep(1);
        }
    }

    private static Path binary(String name) {
        String dir = System.getProperty("prometheus.bin");
        List<String> dirs = new ArrayList<>();
        if (dir != null) dirs.add(dir);
        dirs.addAll(List.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)));
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }
}
