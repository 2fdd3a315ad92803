package io.netstack.service.l3;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The l3 layer on Kafka: everything is in netstack-service-common, chosen by netstack.layer=l3. */
@SpringBootApplication
public class L3ServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(L3ServiceApplication.class, args);
    }
}
