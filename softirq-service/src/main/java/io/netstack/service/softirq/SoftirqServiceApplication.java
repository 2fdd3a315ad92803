package io.netstack.service.softirq;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The softirq layer on Kafka: everything is in netstack-service-common, chosen by netstack.layer=softirq. */
@SpringBootApplication
public class SoftirqServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(SoftirqServiceApplication.class, args);
    }
}
