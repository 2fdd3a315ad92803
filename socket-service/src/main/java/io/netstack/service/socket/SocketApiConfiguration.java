package io.netstack.service.socket;

import io.netstack.layer.SocketLayer;
import io.netstack.service.LayerRuntime;
import io.netstack.service.NetstackProperties;
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
import org.springframework.core.env.Environment;

import java.util.function.Function;

/**
 * The socket service's own beans: the socket layer with the apps hook (replacing the default
 * Layer bean), the gRPC socket API on {@code netstack.socket.api-port} (0: a free port,
 * announced on stdout), and the demo applications.
 *
 * <p>Every socket-service instance serves the API, and each answers for the hosts it owns (their
 * partitions assigned to it, their socket tables restored in it); for another host it answers
 * "not the owner", naming the owner's API address when {@link SocketApiDirectory} knows it, and
 * the client ({@code NetstackApi}) goes there. The demo apps of a host run on its owner and
 * move with it ({@link DemoApps#ownershipChanged}).
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
    public SocketApiDirectory socketApiDirectory(LayerRuntime runtime, NetstackProperties props, Environment env) {
        return new SocketApiDirectory(runtime, env.getProperty("spring.kafka.bootstrap-servers", "127.0.0.1:9092"),
                props.getCpus(), props.instanceOrDefault());
    }

    /**
     * {@code netstack.socket.api-advertised}: the host other instances name to clients as this
     * instance's (default: the bind address, or 127.0.0.1 when it binds every address).
     */
    @Bean(destroyMethod = "close")
    public SocketApiServer socketApiServer(SocketAppsLayer layer, LayerRuntime runtime, ApiWaits waits,
                                           SocketApiDirectory directory,
                                           @Value("${netstack.socket.api-address:}") String address,
                                           @Value("${netstack.socket.api-port:0}") int port,
                                           @Value("${netstack.socket.api-advertised:}") String advertised) {
        SocketVisits visits = new SocketVisits() {
            @Override
            public <T> T visit(String netns, Function<LayerContext, T> action) {
                try {
                    return runtime.runAction("api", netns, action);
                } catch (IllegalStateException e) {
                    // A call held by a rebalance when the instance stops: UNAVAILABLE, so that
                    // the client retries it on the host's next owner (not INTERNAL, which it
                    // would report as a failure).
                    if (!runtime.isRunning()) {
                        throw io.grpc.Status.UNAVAILABLE.withDescription("socket service stopping").asRuntimeException();
                    }
                    throw e;
                }
            }
        };
        SocketApiService service = new SocketApiService(layer.socketLayer(), visits, waits, directory);
        SocketApiServer server = new SocketApiServer(service, address, port, "netstack-socket-api-" + ProcessHandle.current().pid());
        String host = !advertised.isBlank() ? advertised : address.isBlank() || "0.0.0.0".equals(address) ? "127.0.0.1" : address;
        directory.register(host + ":" + server.port());
        return server;
    }

    @Bean(destroyMethod = "close")
    public DemoApps demoApps(SocketAppsLayer layer, SocketApiServer server, LayerRuntime runtime, SocketApiDirectory directory) {
        SocketLayer sl = layer.socketLayer();
        DemoApps apps = new DemoApps(NetstackApi.inProcess(server.inProcessName()), directory, sl::openSockets);
        layer.hooks(apps::configure, apps::remove);
        runtime.afterAssignment(apps::ownershipChanged);
        return apps;
    }
}
