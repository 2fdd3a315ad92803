package io.netstack.skb;

/** skb->pkt_type, include/uapi/linux/if_packet.h: set by eth_type_trans from the destination MAC. */
public enum PktType {
    PACKET_HOST,
    PACKET_BROADCAST,
    PACKET_MULTICAST,
    PACKET_OTHERHOST,
    PACKET_OUTGOING,
    PACKET_LOOPBACK
}
