package io.netstack.stack;

/** The driver end of the wire: the NIC layer takes frames, not skbs (it allocates the skb itself). */
public interface WireReceiver {

    /** A frame arrived on the wire of {@code frame.dev()}: the NIC's RX path. */
    void receiveFrame(WireFrame frame, LayerContext ctx);
}
