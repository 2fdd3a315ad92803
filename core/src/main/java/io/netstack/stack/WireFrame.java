package io.netstack.stack;

/** One Ethernet frame on the wire of a host's interface, as a pcap or a live wire carries it. */
public record WireFrame(String netns, String dev, byte[] frame, long timeNanos) {}
