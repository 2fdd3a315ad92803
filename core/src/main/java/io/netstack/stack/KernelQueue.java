package io.netstack.stack;

/**
 * The kernel's queues and dispatch points between the layers. In the distributed
 * stack each one is a Kafka topic; in the in-process stack, a FIFO. Each names the
 * layer that reads it. What an skb looks like on each queue is part of the contract
 * between the layers:
 *
 * <ul>
 * <li>BACKLOG: data at the network header (eth_type_trans pulled the Ethernet header),
 *     mac_header set, protocol and pkt_type set, dev = the input device, cpu and hash set.
 * <li>PTYPE_*: as on the backlog, after the taps and VLAN handling.
 * <li>INET_PROTO_*: data at the transport header (ip_local_deliver_finish pulled the IP
 *     header), network_header at the IPv4 header, cb.route = the input route (its rtType
 *     says local, broadcast or multicast), the datagram reassembled.
 * <li>SK_RECEIVE_QUEUE: data at the payload, cb.socket = the socket's key, cb.saddr/sport =
 *     the peer, cb.daddr/dport = the local address and port.
 * <li>SK_SENDMSG: data at the payload, cb.socket = the sending socket, cb.daddr/dport = the
 *     destination (cb.saddr/sport may be 0: chosen by the stack).
 * <li>IP_LOCAL_OUT: data at the transport header (ICMP, UDP or TCP header already built,
 *     checksum done); cb.daddr, cb.ipProtocol, cb.tos, cb.ttl (0: ip_default_ttl), cb.df
 *     set; cb.saddr may be 0 (chosen by routing). l3 routes it, builds the IPv4 header and
 *     runs ip_local_out.
 * <li>DEV_QUEUE_XMIT / HARD_START_XMIT: data at the Ethernet header of a complete frame,
 *     dev = the output device.
 * </ul>
 */
public enum KernelQueue {
    /** softnet_data.input_pkt_queue: netif_rx / enqueue_to_backlog, one partition per emulated CPU. */
    BACKLOG("netstack.backlog", LayerName.SOFTIRQ),
    /** ptype_base[ETH_P_IP]: __netif_receive_skb_core hands IPv4 to ip_rcv. */
    PTYPE_IP("netstack.ptype.ip", LayerName.L3),
    /** ptype_base[ETH_P_ARP]: to arp_rcv. */
    PTYPE_ARP("netstack.ptype.arp", LayerName.L3),
    /** inet_protos[IPPROTO_ICMP]: ip_local_deliver_finish to icmp_rcv. */
    INET_PROTO_ICMP("netstack.inet-protos.icmp", LayerName.L4),
    /** inet_protos[IPPROTO_UDP]: to udp_rcv. */
    INET_PROTO_UDP("netstack.inet-protos.udp", LayerName.L4),
    /** inet_protos[IPPROTO_TCP]: to tcp_v4_rcv. */
    INET_PROTO_TCP("netstack.inet-protos.tcp", LayerName.L4),
    /** sk->sk_receive_queue: what the transport layer queued to a socket. */
    SK_RECEIVE_QUEUE("netstack.sk-receive-queue", LayerName.SOCKET),
    /** What a socket sends: sendmsg into udp_sendmsg / tcp_sendmsg. */
    SK_SENDMSG("netstack.sk-sendmsg", LayerName.L4),
    /** A transport segment handed to IP: ip_queue_xmit / ip_build_and_send_pkt / icmp_push_reply. */
    IP_LOCAL_OUT("netstack.ip-local-out", LayerName.L3),
    /** dev_queue_xmit: a finished frame enqueued to the device's qdisc. */
    DEV_QUEUE_XMIT("netstack.dev-queue-xmit", LayerName.SOFTIRQ),
    /** The driver's TX ring: qdisc_restart / dev_hard_start_xmit hands the frame to ndo_start_xmit. */
    HARD_START_XMIT("netstack.hard-start-xmit", LayerName.NIC);

    private final String topic;
    private final LayerName layer;

    KernelQueue(String topic, LayerName layer) {
        this.topic = topic;
        this.layer = layer;
    }

    /** The Kafka topic standing for this queue. */
    public String topic() { return topic; }

    /** The layer that reads this queue. */
    public String layer() { return layer.id(); }

    /** The layer that reads this queue. */
    public LayerName layerName() { return layer; }

    /** Topics beside the data path. */
    public static final String WIRE_RX_TOPIC = "netstack.wire.rx";
    public static final String WIRE_TX_TOPIC = "netstack.wire.tx";
    public static final String EVENTS_TOPIC = "netstack.events";
    public static final String CONFIG_TOPIC = "netstack.config";
}
