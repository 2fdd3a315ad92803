package io.netstack.e2e;

import io.netstack.broker.RepoRoot;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml brought up whole (images built from the repository), then the Grafana
 * overview asked through Grafana's API: the dashboard is provisioned, and its throughput query,
 * run through Grafana's datasource proxy, returns data from the five layers. Skipped without Docker.
 */
@Testcontainers(disabledWithoutDocker = true)
class ComposeStackIT {

    @Container
    static final ComposeContainer COMPOSE = new ComposeContainer(RepoRoot.find().resolve("docker-compose.yml").toFile())
            .withBuild(true)
            .withExposedService("grafana", 3000, Wait.forHttp("/api/health").forStatusCode(200))
            .waitingFor("traffic", Wait.forLogMessage(".*configured on.*", 1))
            .withStartupTimeout(Duration.ofMinutes(15));

    @Test
    void theOverviewDashboardShowsTrafficThroughEveryLayer() throws Exception {
        String grafana = "http://" + COMPOSE.getServiceHost("grafana", 3000) + ":" + COMPOSE.getServicePort("grafana", 3000);
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();

        JsonNode dash = json.readTree(get(http, grafana + "/api/dashboards/uid/netstack-overview"));
        assertThat(dash.path("dashboard").path("title").asText()).isEqualTo("netstack overview");
        String expr = dash.path("dashboard").path("panels").get(0).path("targets").get(0).path("expr").asText();

        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        int layers = 0;
        while (System.nanoTime() < deadline) {
            JsonNode r = json.readTree(get(http, grafana + "/api/datasources/proxy/uid/prometheus/api/v1/query?query="
                    + URLEncoder.encode(expr, StandardCharsets.UTF_8)));
            layers = 0;
            for (JsonNode s : r.path("data").path("result")) if (s.path("value").get(1).asDouble() > 0) layers++;
            if (layers == 5) break;
            Thread.sleep(5_000);
        }
        assertThat(layers).as("layers with throughput on the overview's first panel").isEqualTo(5);
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return r.body();
    }
}
