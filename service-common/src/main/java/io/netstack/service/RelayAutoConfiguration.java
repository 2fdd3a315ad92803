package io.netstack.service;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.boot.autoconfigure.AutoConfiguration;
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
 * A service JVM started with {@code --netstack.relay.from=A --netstack.relay.to=B}: a bare relay
 * ({@link RelayRuntime}) instead of its layer, for the transport ceiling of {@code netstack bench}.
 * Prints {@code netstack relay ready on port N} when it has its partitions, as a layer does.
 */
@AutoConfiguration
@ConditionalOnProperty("netstack.relay.from")
@EnableConfigurationProperties(NetstackProperties.class)
public class RelayAutoConfiguration {

    @Bean
    public KafkaAdmin.NewTopics netstackRelayTopics(NetstackProperties props) {
        return new KafkaAdmin.NewTopics(
                new NewTopic(props.getRelay().getFrom(), props.getCpus(), props.getReplicationFactor()),
                new NewTopic(props.getRelay().getTo(), props.getCpus(), props.getReplicationFactor()));
    }

    @Bean
    public NetstackReadiness netstackReadiness() {
        return new NetstackReadiness("relay");
    }

    /** The readiness group (netstack-service-defaults.yaml) includes "netstack": a relay has it too. */
    @Bean
    public HealthIndicator netstackHealthIndicator(NetstackReadiness readiness) {
        return () -> readiness.isReady() ? Health.up().build()
                : Health.down().withDetail("waitingFor", readiness.waitingFor()).build();
    }

    @Bean
    public ApplicationListener<ApplicationReadyEvent> netstackRelayUp(NetstackReadiness readiness) {
        return event -> {
            Environment env = event.getApplicationContext().getEnvironment();
            readiness.applicationUp(env.getProperty("local.server.port", Integer.class,
                    env.getProperty("server.port", Integer.class, 8080)));
        };
    }

    @Bean
    public RelayRuntime netstackRelay(NetstackProperties props, Environment env, NetstackReadiness readiness) {
        String bootstrap = env.getProperty("spring.kafka.bootstrap-servers", "127.0.0.1:9092");
        return new RelayRuntime(props, bootstrap, readiness);
    }
}
