package io.netstack.config;

/** A configuration file that cannot be used, with where and what is wrong. */
public class ConfigException extends RuntimeException {

    private final String source;
    private final int line;

    /** @param line 1-based; 0 when the fault is not at one line */
    public ConfigException(String source, int line, String message) {
        super(source + (line > 0 ? ":" + line : "") + ": " + message);
        this.source = source;
        this.line = line;
    }

    public String source() { return source; }

    public int line() { return line; }
}
