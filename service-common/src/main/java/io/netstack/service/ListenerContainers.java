package io.netstack.service;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.GenericMessageListener;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.transaction.KafkaTransactionManager;
import org.springframework.util.backoff.FixedBackOff;

import java.time.Duration;
import java.util.Map;

/**
 * The Kafka plumbing every runtime shares (a layer's, a bench relay's): producers with a
 * transactional id per instance, and a listener container that in exactly-once mode runs each
 * poll in one transaction with its offsets (read_committed), or in at-least-once mode commits
 * the offsets after the batch; Kafka failing (not a record) rolls back or re-polls and tries
 * again, never giving up.
 */
final class ListenerContainers {

    private ListenerContainers() {}

    /** The producers of {@code instance}: transactional ids {@code netstack-<instance>-N} in exactly-once mode. */
    static DefaultKafkaProducerFactory<byte[], byte[]> producers(String bootstrap, String instance, Duration transactionTimeout,
                                                                boolean exactlyOnce) {
        DefaultKafkaProducerFactory<byte[], byte[]> pf =
                new DefaultKafkaProducerFactory<>(KafkaSettings.producer(bootstrap, instance, transactionTimeout));
        if (exactlyOnce) pf.setTransactionIdPrefix("netstack-" + instance + "-");
        return pf;
    }

    /**
     * A container reading {@code topics} as group {@code groupId} (client {@code netstack-<instance>}),
     * calling {@code listener} with each poll's records.
     */
    static KafkaMessageListenerContainer<byte[], byte[]> create(String beanName, String groupId, String instance,
                                                               String[] topics, Map<String, Object> consumerConfig,
                                                               DefaultKafkaProducerFactory<byte[], byte[]> producers,
                                                               boolean exactlyOnce, GenericMessageListener<?> listener,
                                                               ConsumerRebalanceListener rebalance) {
        ContainerProperties cp = new ContainerProperties(topics);
        cp.setGroupId(groupId);
        cp.setClientId("netstack-" + instance);
        cp.setPollTimeout(KafkaSettings.POLL_TIMEOUT_MS);
        cp.setMessageListener(listener);
        cp.setConsumerRebalanceListener(rebalance);
        FixedBackOff forever = new FixedBackOff(500, FixedBackOff.UNLIMITED_ATTEMPTS);
        if (exactlyOnce) {
            // Synchronization on: KafkaTransactionManager turns it off by default, and then
            // LayerRuntime.onBatch found no transaction to wait for, let go of the state lock
            // before the batch's transaction committed, and an API action's transaction ran
            // alongside it. Their snapshots of one host reached the changelog in either order,
            // and a restore took the older one as the latest (a recv's bytes back in the queue:
            // SocketApiFailoverIT, after a socket instance was killed).
            KafkaTransactionManager<byte[], byte[]> tm = new KafkaTransactionManager<>(producers);
            tm.setTransactionSynchronization(KafkaTransactionManager.SYNCHRONIZATION_ALWAYS);
            cp.setKafkaAwareTransactionManager(tm);
        } else {
            cp.setAckMode(ContainerProperties.AckMode.BATCH);
        }
        KafkaMessageListenerContainer<byte[], byte[]> container =
                new KafkaMessageListenerContainer<>(new DefaultKafkaConsumerFactory<>(consumerConfig), cp);
        container.setBeanName(beanName);
        if (exactlyOnce) {
            container.setAfterRollbackProcessor(new DefaultAfterRollbackProcessor<>(forever));
        } else {
            container.setCommonErrorHandler(new DefaultErrorHandler(forever));
        }
        return container;
    }
}
