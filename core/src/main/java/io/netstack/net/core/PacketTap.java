package io.netstack.net.core;

import io.netstack.skb.PktType;

/**
 * A ptype_all handler (struct packet_type with type ETH_P_ALL): a packet socket, tcpdump,
 * a pcap writer. It sees a copy of every frame, received and sent, and never changes the
 * skb's fate (deliver_skb hands it a reference; packet_rcv clones).
 */
@FunctionalInterface
public interface PacketTap {

    /**
     * packet_rcv, net/packet/af_packet.c: one frame.
     *
     * @param frame    the whole frame from the MAC header, copied
     * @param pktType  PACKET_OUTGOING for a frame being sent (dev_queue_xmit_nit)
     */
    void packetRcv(String netns, String dev, PktType pktType, byte[] frame, long timeNanos);
}
