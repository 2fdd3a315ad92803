package io.netstack.replay;

/**
 * A scenario that cannot be replayed, naming the file and the line (YAML) or byte offset
 * (pcap) where it goes wrong.
 */
public class ScenarioException extends RuntimeException {

    public ScenarioException(String message) {
        super(message);
    }

    public ScenarioException(String message, Throwable cause) {
        super(message, cause);
    }
}
