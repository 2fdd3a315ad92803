package io.netstack.launcher.wire;

import java.io.Closeable;
import java.io.IOException;

/**
 * The outside end of an emulated interface's wire: something that carries whole Ethernet frames
 * (no preamble, no FCS), one at a time, both ways.
 */
public interface FramePort extends Closeable {

    /** Blocks until a frame arrives from outside; null once the port is closed. */
    byte[] receive() throws IOException;

    /** Puts a frame the emulated host transmitted on the outside wire. */
    void send(byte[] frame) throws IOException;

    /** For log lines: "udp 127.0.0.1:7001 <-> 127.0.0.1:7002". */
    String describe();
}
