package io.netstack.service.socket;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The socket layer on Kafka: everything is in netstack-service-common, chosen by netstack.layer=socket. */
@SpringBootApplication
public class SocketServiceApplication {
    public static void main(String[] args) {
        SpringApplication.run(SocketServiceApplication.class, args);
    }
}
