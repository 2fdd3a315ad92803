package io.netstack.net.sched;

/**
 * How many skbs already wait in a band of a device's qdisc beyond those this process holds.
 * In the in-process stack the qdisc is drained within each visit, so this is 0; the
 * distributed runtime plugs in the lag of the driver's TX topic (HARD_START_XMIT), the
 * closest thing it has to a queue that builds up in front of a busy device.
 */
@FunctionalInterface
public interface TxQueueDepth {

    long depth(String netns, String dev, int band);

    TxQueueDepth EMPTY = (netns, dev, band) -> 0;
}
