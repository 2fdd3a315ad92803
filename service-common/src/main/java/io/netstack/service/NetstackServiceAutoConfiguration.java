package io.netstack.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.netstack.layer.Layers;
import io.netstack.stack.Layer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * The wiring every service shares: the layer named by {@code netstack.layer}, the topics, the
 * {@link LayerRuntime}, the metrics and the readiness. A service is its application class and an
 * application.yaml.
 */
@AutoConfiguration
@ConditionalOnProperty("netstack.layer")
// A service started as a relay (netstack.relay.from) runs RelayAutoConfiguration instead.
@ConditionalOnExpression("'${netstack.relay.from:}'.isEmpty()")
@EnableConfigurationProperties(NetstackProperties.class)
public class NetstackServiceAutoConfiguration {

    /** The layer named by netstack.layer; an application (or a test) may supply its own Layer bean instead. */
    @Bean
    @ConditionalOnMissingBean(Layer.class)
    public Layer netstackLayer(NetstackProperties props) {
        return Layers.byName(props.getLayer());
    }

    /** Created by Boot's KafkaAdmin at start-up; existing topics are left as they are. */
    @Bean
    public KafkaAdmin.NewTopics netstackTopics(NetstackProperties props) {
        return new KafkaAdmin.NewTopics(Topics.all(props.getCpus(), props.getReplicationFactor())
                .toArray(org.apache.kafka.clients.admin.NewTopic[]::new));
    }

    @Bean
    public NetstackReadiness netstackReadiness(NetstackProperties props) {
        return new NetstackReadiness(props.getLayer());
    }

    /** Part of the readiness group (application.yaml): DOWN until {@link NetstackReadiness} says ready. */
    @Bean
    public HealthIndicator netstackHealthIndicator(NetstackReadiness readiness) {
        return () -> readiness.isReady() ? Health.up().build()
                : Health.down().withDetail("waitingFor", readiness.waitingFor()).build();
    }

    @Bean
    public ApplicationListener<ApplicationReadyEvent> netstackApplicationUp(NetstackReadiness readiness) {
        return event -> {
            Environment env = event.getApplicationContext().getEnvironment();
            readiness.applicationUp(env.getProperty("local.server.port", Integer.class,
                    env.getProperty("server.port", Integer.class, 8080)));
        };
    }

    @Bean
    public LayerMetrics netstackMetrics(Layer layer, MeterRegistry registry) {
        return new LayerMetrics(registry, layer.name(), LayerRuntime.inputTopics(layer));
    }

    @Bean
    public LayerRuntime netstackRuntime(Layer layer, NetstackProperties props, Environment env, LayerMetrics metrics,
                                        NetstackReadiness readiness) {
        String bootstrap = env.getProperty("spring.kafka.bootstrap-servers", "127.0.0.1:9092");
        return new LayerRuntime(layer, props, bootstrap, metrics, readiness);
    }

    /** GET /netstack/iptables, /netstack/iptables-save, /netstack/neigh: the l3 state the CLI shows. */
    @Bean
    public InspectController netstackInspectController(Layer layer, LayerRuntime runtime) {
        return new InspectController(layer, runtime);
    }
}
