package io.netstack.service.socket.api;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The socket API's gRPC servers: one on a TCP port (a free one unless given) for applications
 * outside, announced on stdout as {@code netstack socket api on port N} (before the service's
 * ready line, so a launcher finds it), and one in-process, by name, for the demo applications
 * of this JVM.
 */
public final class SocketApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SocketApiServer.class);

    /** The line a launcher looks for: API_ON + port. */
    public static final String API_ON = "netstack socket api on port ";

    private final Server tcp;
    private final Server inProcess;
    private final String inProcessName;

    public SocketApiServer(BindableService service, String bindAddress, int port, String inProcessName) {
        this.inProcessName = inProcessName;
        try {
            InetSocketAddress at = bindAddress == null || bindAddress.isBlank()
                    ? new InetSocketAddress(port) : new InetSocketAddress(bindAddress, port);
            // SO_REUSEADDR: an instance restarted on its predecessor's port (the launcher keeps it,
            // so clients find it again) binds while that one's connections are in TIME_WAIT.
            tcp = NettyServerBuilder.forAddress(at).addService(service).maxInboundMessageSize(16 << 20)
                    .withOption(io.grpc.netty.shaded.io.netty.channel.ChannelOption.SO_REUSEADDR, true).build().start();
            inProcess = InProcessServerBuilder.forName(inProcessName).addService(service).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("socket API: cannot listen on " + bindAddress + ":" + port, e);
        }
        String line = API_ON + tcp.getPort();
        log.info(line);
        System.out.println(line);
        System.out.flush();
    }

    public int port() { return tcp.getPort(); }

    public String inProcessName() { return inProcessName; }

    @Override
    public void close() {
        tcp.shutdownNow();
        inProcess.shutdownNow();
        try {
            tcp.awaitTermination(5, TimeUnit.SECONDS);
            inProcess.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
