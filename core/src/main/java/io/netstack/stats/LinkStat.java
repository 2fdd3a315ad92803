package io.netstack.stats;

/**
 * struct rtnl_link_stats64 (include/uapi/linux/if_link.h), the names of
 * /sys/class/net/&lt;iface&gt;/statistics. The first ten are the ones every scenario reports.
 */
public enum LinkStat {
    rx_packets,
    rx_bytes,
    rx_dropped,
    rx_errors,
    rx_nohandler,
    rx_otherhost_dropped,
    tx_packets,
    tx_bytes,
    tx_dropped,
    tx_errors,
    rx_crc_errors,
    rx_frame_errors,
    rx_length_errors,
    rx_missed_errors,
    rx_over_errors,
    rx_fifo_errors,
    multicast,
    collisions,
    tx_aborted_errors,
    tx_carrier_errors,
    tx_fifo_errors;

    /** The ten statistics that are reported for every interface, zero or not. */
    public static final java.util.List<LinkStat> ALWAYS_REPORTED = java.util.List.of(
            rx_packets, rx_bytes, rx_dropped, rx_errors, rx_nohandler, rx_otherhost_dropped,
            tx_packets, tx_bytes, tx_dropped, tx_errors);
}
