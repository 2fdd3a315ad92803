package io.netstack.service.nic;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The nic layer on Kafka: everything is in netstack-service-common, chosen by netstack.layer=nic. */
@SpringBootApplication
public class NicServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(NicServiceApplication.class, args);
    }
}
