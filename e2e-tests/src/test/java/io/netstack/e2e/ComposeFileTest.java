package io.netstack.e2e;

import io.netstack.stack.LayerName;
import io.netstack.broker.RepoRoot;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * docker-compose.yml against the repository: images build from a Dockerfile that exists, ports and
 * environment agree with the applications' configuration, Prometheus scrapes the compose services
 * on those ports, the layer services can be scaled, and Docker's own compose accepts the file (when
 * it is installed).
 */
class ComposeFileTest {
    static final Path REPO = RepoRoot.find();

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path p) throws IOException {
        LoaderOptions o = new LoaderOptions();
        o.setMaxAliasesForCollections(100);
        return new Yaml(o).load(Files.readString(p));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> services() throws IOException {
        return (Map<String, Object>) yaml(REPO.resolve("docker-compose.yml")).get("services");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    /** The port in a service's application.yaml: server.port: ${NETSTACK_PORT:8083}. */
    static int applicationPort(String layer) throws IOException {
        Object port = map(yaml(REPO.resolve(layer + "-service/src/main/resources/application.yaml")).get("server")).get("port");
        Matcher m = Pattern.compile("\\$\\{NETSTACK_PORT:(\\d+)}").matcher(String.valueOf(port));
        assertThat(m.matches()).as(layer + " server.port " + port).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void everyBuiltServiceHasADockerfileAndAModuleJar() throws IOException {
        int built = 0;
        for (Map.Entry<String, Object> e : services().entrySet()) {
            Object build = map(e.getValue()).get("build");
            if (build == null) continue;
            built++;
            Map<String, Object> b = map(build);
            Path context = REPO.resolve(String.valueOf(b.get("context")));
            Path dockerfile = context.resolve(String.valueOf(b.getOrDefault("dockerfile", "Dockerfile")));
            assertThat(dockerfile).as(e.getKey()).isRegularFile();
            Map<String, Object> args = map(b.get("args"));
            String module = String.valueOf(args.get("MODULE"));
            assertThat(REPO.resolve(module).resolve("pom.xml")).as(e.getKey() + " builds module " + module).isRegularFile();
            String jar = String.valueOf(args.getOrDefault("JAR", module + ".jar"));
            String pom = Files.readString(REPO.resolve(module).resolve("pom.xml"));
            assertThat(pom).as(module + "'s finalName gives " + jar).contains("<finalName>" + jar.replace(".jar", "") + "</finalName>");
        }
        assertThat(built).isEqualTo(6);
        assertThat(Files.readString(REPO.resolve("deploy/docker/Dockerfile"))).contains("ARG MODULE", "./mvnw");
    }

    @Test
    void layerServicesScaleAndAgreeWithTheirApplicationConfiguration() throws IOException {
        Map<String, Object> services = services();
        for (String layer : LayerName.names()) {
            Map<String, Object> s = map(services.get(layer + "-service"));
            assertThat(s).as(layer).isNotNull().doesNotContainKeys("container_name", "ports");
            int port = applicationPort(layer);
            assertThat(String.valueOf(s.get("expose"))).as(layer + " expose").contains(String.valueOf(port));
            assertThat(String.valueOf(s.get("healthcheck"))).as(layer + " healthcheck")
                    .contains("http://localhost:" + port + "/actuator/health/readiness");
            Map<String, Object> env = map(s.get("environment"));
            // The bootstrap property of netstack-service-defaults.yaml: ${NETSTACK_BOOTSTRAP:...}.
            assertThat(Files.readString(REPO.resolve("service-common/src/main/resources/netstack-service-defaults.yaml")))
                    .contains("${NETSTACK_BOOTSTRAP:");
            assertThat(env).containsEntry("NETSTACK_BOOTSTRAP", "kafka:9092");
            assertThat(env).doesNotContainKey("NETSTACK_PORT");
            assertThat(String.valueOf(s.get("entrypoint"))).as("a unique instance name per replica")
                    .contains("--netstack.instance=" + layer + "-$$HOSTNAME");
            assertThat(map(s.get("depends_on"))).containsKey("kafka-init");
        }
        assertThat(String.valueOf(map(services.get("kafka")).get("image"))).matches("apache/kafka:\\d+\\.\\d+\\.\\d+");
        assertThat(map(map(services.get("traffic")).get("depends_on"))).containsKeys("nic-service", "socket-service");
        assertThat(map(map(services.get("grafana")).get("environment")))
                .containsEntry("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", "/var/lib/grafana/dashboards/overview.json");
        assertThat(REPO.resolve("deploy/grafana/dashboards/overview.json")).isRegularFile();
        for (Object image : services.values().stream().map(s -> map(s).get("image")).filter(i -> i != null).toList()) {
            assertThat(String.valueOf(image)).as("pinned").doesNotEndWith(":latest").contains(":");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesEveryLayerServiceOnItsPort() throws IOException {
        Map<String, Object> prom = yaml(REPO.resolve("deploy/prometheus/prometheus.yml"));
        Map<String, Object> job = ((List<Map<String, Object>>) prom.get("scrape_configs")).stream()
                .filter(j -> "netstack".equals(j.get("job_name"))).findFirst().orElseThrow();
        assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
        List<String> found = new ArrayList<>();
        for (Map<String, Object> sd : (List<Map<String, Object>>) job.get("dns_sd_configs")) {
            for (String name : (List<String>) sd.get("names")) {
                assertThat(services()).as("a compose service named " + name).containsKey(name);
                String layer = name.replace("-service", "");
                assertThat(sd.get("port")).as(name).isEqualTo(applicationPort(layer));
                found.add(layer);
            }
        }
        assertThat(found).containsExactlyInAnyOrderElementsOf(LayerName.names());
        assertThat(String.valueOf(job.get("file_sd_configs"))).contains(".netstack/prometheus-targets");
        String exporter = String.valueOf(prom.get("scrape_configs"));
        assertThat(exporter).contains("kafka-exporter:9308");
        assertThat(services()).containsKey("kafka-exporter");
    }

    /** {exit code, output}, or null when the tool cannot run or does not answer. */
    static String[] run(List<String> tool, List<String> args) throws InterruptedException, IOException {
        List<String> cmd = new ArrayList<>(tool);
        cmd.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return null;
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (args.equals(List.of("version")) && p.exitValue() != 0) return null;
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @Test
    void dockerComposeAcceptsTheFile() throws Exception {
        List<List<String>> tools = List.of(List.of("docker", "compose"), List.of("docker-compose"));
        for (List<String> tool : tools) {
            if (run(tool, List.of("version")) == null) continue; // not installed, or docker without its compose plugin
            String[] result = run(tool, List.of("-f", REPO.resolve("docker-compose.yml").toString(), "config", "--quiet"));
            assertThat(result[0]).as(String.join(" ", tool) + " config:\n" + result[1]).isEqualTo("0");
            return;
        }
        assumeTrue(false, "SKIPPED: neither `docker compose` nor `docker-compose` works here");
    }
}
