package io.netstack.service.l4;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The l4 layer on Kafka: everything is in netstack-service-common, chosen by netstack.layer=l4. */
@SpringBootApplication
public class L4ServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(L4ServiceApplication.class, args);
    }
}
