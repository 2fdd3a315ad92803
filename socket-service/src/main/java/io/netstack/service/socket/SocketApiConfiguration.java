package io.netstack.service.socket;

import io.netstack.service.LayerRuntime;
import io.netstack.service.socket.api.ApiWaits;
import io.netstack.service.socket.api.SocketApiServer;
import io.netstack.service.socket.api.SocketApiService;
import io.netstack.service.socket.api.SocketVisits;
import io.netstack.service.socket.apps.DemoApps;
import io.netstack.socket.NetstackApi;
import io.netstack.stack.LayerContext;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.function.Function;

/**
 * The socket service's own beans: the socket layer with the apps hook (replacing the default
 * Layer bean), the gRPC socket API on {@code netstack.socket.api-port} (0: a free port,
 * announced on stdout), and the demo applications.
 *
 * <p>One socket-service instance serves the API: the socket table lives in the instance, and an
 * API call must reach the instance whose partitions feed that table. Run the API with
 * {@code socket} scaled to 1 (the launcher's default); with more instances each serves the
 * sockets of the records it was assigned, and a client must talk to the right one.
 */
@Configuration(proxyBeanMethods = false)
public class SocketApiConfiguration {

    @Bean
    public SocketAppsLayer socketAppsLayer() {
        return new SocketAppsLayer();
    }

    @Bean
    public ApiWaits apiWaits(SocketAppsLayer layer) {
        ApiWaits waits = new ApiWaits();
        layer.socketLayer().onWakeup(waits);
        return waits;
    }

    @Bean(destroyMethod = "close")
    public SocketApiServer socketApiServer(SocketAppsLayer layer, LayerRuntime runtime, ApiWaits waits,
                                           @Value("${netstack.socket.api-address:}") String address,
                                           @Value("${netstack.socket.api-port:0}") int port) {
        SocketVisits visits = new SocketVisits() {
            @Override
            public <T> T visit(String netns, Function<LayerContext, T> action) {
                return runtime.runAction("api", netns, action);
            }
        };
        SocketApiService service = new SocketApiService(layer.socketLayer(), visits, waits);
        return new SocketApiServer(service, address, port, "netstack-socket-api-" + ProcessHandle.current().pid());
    }

    @Bean(destroyMethod = "close")
    public DemoApps demoApps(SocketAppsLayer layer, SocketApiServer server) {
        DemoApps apps = new DemoApps(NetstackApi.inProcess(server.inProcessName()));
        layer.hooks(apps::configure, apps::remove);
        return apps;
    }
}
