package io.netstack.pcap;

/** A pcap file that cannot be read, with the file and the byte offset where it goes wrong. */
public class PcapException extends RuntimeException {
    public PcapException(String file, long offset, String message) {
        super(file + " at offset " + offset + ": " + message);
    }
}
