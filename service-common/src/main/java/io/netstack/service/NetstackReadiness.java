package io.netstack.service;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ready = the configuration topic is read up to the end seen at start, the data consumer got its
 * partitions, and the application (web port included) is up. Then a line on stdout,
 * {@code netstack <layer> ready on port N}, tells a launcher; health/readiness turns UP.
 */
public final class NetstackReadiness {

    private static final Logger log = LoggerFactory.getLogger(NetstackReadiness.class);

    /** Start of the line a launcher waits for: "netstack " + layer + READY_ON + port. */
    public static final String READY_ON = " ready on port ";

    private final String layer;
    private boolean configCaughtUp;
    private boolean assigned;
    private int port = -1;
    private volatile boolean ready;

    public NetstackReadiness(String layer) {
        this.layer = layer;
    }

    public synchronized void configCaughtUp() {
        configCaughtUp = true;
        check();
    }

    public synchronized void partitionsAssigned() {
        assigned = true;
        check();
    }

    public synchronized void applicationUp(int port) {
        this.port = port;
        check();
    }

    private void check() {
        if (ready || !configCaughtUp || !assigned || port < 0) return;
        ready = true;
        String line = "netstack " + layer + READY_ON + port;
        log.info(line);
        System.out.println(line);
        System.out.flush();
    }

    public boolean isReady() { return ready; }

    /** What is still missing, for the health details. */
    public synchronized String waitingFor() {
        if (ready) return "";
        StringBuilder b = new StringBuilder();
        if (!configCaughtUp) b.append("config topic; ");
        if (!assigned) b.append("partition assignment; ");
        if (port < 0) b.append("application start; ");
        return b.toString();
    }
}
