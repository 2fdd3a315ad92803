package io.netstack.pcap;

/** One captured frame: its timestamp and bytes (the captured part; origLen is the length on the wire). */
public record PcapRecord(long timeNanos, byte[] frame, int origLen) {}
