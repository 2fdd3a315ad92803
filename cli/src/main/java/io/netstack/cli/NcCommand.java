package io.netstack.cli;

import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackApi;
import io.netstack.socket.NetstackSocket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * netcat on an emulated host, over the socket-service's gRPC socket API: stdin to the socket,
 * the socket to stdout. TCP by default (-u: UDP); connects to HOST PORT, or with -l listens
 * (-p PORT, -s ADDR) and serves the first peer. The API's address comes from --api or from the
 * state file {@code .netstack/stack.json} that {@code netstack up} writes.
 */
@Command(name = "nc", mixinStandardHelpOptions = true,
        description = "netcat on an emulated host over the socket API (stdin to the socket, the socket to stdout).")
public final class NcCommand implements Callable<Integer> {

    @Option(names = "--netns", required = true, description = "The emulated host (network namespace) to run on.")
    String netns;

    @Option(names = "--api", description = "The socket API: host:port, or every socket instance's, comma-separated (default: from .netstack/stack.json).")
    String api;

    @Option(names = "-u", description = "UDP instead of TCP.")
    boolean udp;

    @Option(names = "-l", description = "Listen for a connection (TCP) or the first datagram (UDP).")
    boolean listen;

    @Option(names = "-p", paramLabel = "PORT", description = "Local port.")
    int localPort;

    @Option(names = "-s", paramLabel = "ADDR", description = "Local address.")
    String localAddr;

    @Option(names = "-w", paramLabel = "SECS", description = "Connect timeout; for UDP also how long to wait for"
            + " replies after stdin ends (default: until interrupted).")
    int wait;

    @Parameters(arity = "0..2", paramLabel = "HOST PORT", description = "Where to connect (with -l: [PORT]).")
    String[] target = new String[0];

    /** Where the API address comes from when --api is not given (tests point it elsewhere). */
    Path cwd = Path.of("").toAbsolutePath();
    InputStream in = System.in;
    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws Exception {
        String address = api != null ? api : apiFromStateFile(cwd);
        if (address == null) {
            err.println("nc: no socket API: start a stack with `netstack up` or give --api host:port");
            return 2;
        }
        String host = null;
        int port = 0;
        if (listen) {
            if (target.length == 1) localPort = Integer.parseInt(target[0]);
            if (target.length == 2) {
                localAddr = target[0];
                localPort = Integer.parseInt(target[1]);
            }
            if (localPort == 0) {
                err.println("nc: -l needs a port (-p PORT or PORT)");
                return 2;
            }
        } else {
            if (target.length != 2) {
                err.println("nc: HOST PORT expected");
                return 2;
            }
            host = target[0];
            port = Integer.parseInt(target[1]);
        }
        try (NetstackApi a = NetstackApi.connect(address)) {
            return udp ? udp(a, host, port) : tcp(a, host, port);
        } catch (ErrnoException e) {
            err.println("nc: " + e.getMessage());
            return 1;
        } catch (io.grpc.StatusRuntimeException e) {
            // A transport failure (no service there, the stack went down): gRPC's status, not an errno.
            err.println("nc: socket API at " + address + ": " + e.getStatus().getCode()
                    + (e.getStatus().getDescription() != null ? " (" + e.getStatus().getDescription() + ")" : ""));
            return 1;
        }
    }

    private int tcp(NetstackApi a, String host, int port) throws Exception {
        NetstackSocket s;
        if (listen) {
            try (NetstackSocket l = a.tcp(netns)) {
                l.bind(localAddr, localPort).listen(1);
                s = l.accept();
            }
        } else {
            s = a.tcp(netns);
            if (localPort != 0 || localAddr != null) s.bind(localAddr, localPort);
            if (wait > 0) s.setTimeout(java.time.Duration.ofSeconds(wait));
            s.connect(host, port);
            s.setTimeout(java.time.Duration.ZERO);
        }
        try (NetstackSocket c = s) {
            // stdin to the socket; at its end SHUT_WR (the peer sees EOF), as nc -N / ncat do.
            Thread writer = new Thread(() -> {
                byte[] buf = new byte[16 * 1024];
                try {
                    int n;
                    while ((n = in.read(buf)) > 0) c.sendAll(java.util.Arrays.copyOf(buf, n));
                    c.shutdown(1);
                } catch (IOException e) {
                    // the socket went away: the reader reports it
                }
            }, "nc-stdin");
            writer.setDaemon(true);
            writer.start();
            // The socket to stdout until the peer's FIN.
            c.recvStream(64 * 1024, d -> write(out, d.data()));
        }
        return 0;
    }

    private int udp(NetstackApi a, String host, int port) throws Exception {
        try (NetstackSocket s = a.udp(netns)) {
            if (listen || localPort != 0 || localAddr != null) s.bind(localAddr, localPort);
            if (listen) {
                // The first datagram names the peer stdin goes to (nc -u -l).
                NetstackSocket.Received first = s.recvFrom(65535);
                write(out, first.data());
                s.connect(first.from().addr(), first.from().port());
            } else {
                s.connect(host, port);
            }
            Thread reader = new Thread(() -> {
                try {
                    s.recvStream(65535, d -> write(out, d.data()));
                } catch (ErrnoException e) {
                    // closed
                } catch (io.grpc.StatusRuntimeException e) {
                    // The -w wait ended and nc closes the API's channel under this read.
                    io.grpc.Status.Code code = e.getStatus().getCode();
                    if (code != io.grpc.Status.Code.UNAVAILABLE && code != io.grpc.Status.Code.CANCELLED) throw e;
                }
            }, "nc-socket");
            reader.setDaemon(true);
            reader.start();
            byte[] buf = new byte[65507];
            int n;
            // Each read of stdin (a line from a terminal) is one datagram.
            while ((n = in.read(buf)) > 0) s.send(java.util.Arrays.copyOf(buf, n));
            if (wait > 0) {
                reader.join(wait * 1000L);
            } else {
                reader.join();
            }
        }
        return 0;
    }

    private static void write(OutputStream out, byte[] data) {
        try {
            out.write(data);
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static final Pattern API_KEY = Pattern.compile("\"(socketApi|socketApiAddress|grpc|api)\"\\s*:\\s*\"([^\"]+)\"");

    /**
     * The socket API's address from {@code .netstack/stack.json} in {@code dir} or a parent: the
     * value of "socketApi" (or "socketApiAddress"), "host:port" (several, comma-separated, when socket runs as several instances).
     */
    static String apiFromStateFile(Path dir) throws IOException {
        for (Path d = dir; d != null; d = d.getParent()) {
            Path f = d.resolve(".netstack").resolve("stack.json");
            if (Files.isRegularFile(f)) {
                Matcher m = API_KEY.matcher(Files.readString(f));
                return m.find() ? m.group(2) : null;
            }
        }
        return null;
    }
}
