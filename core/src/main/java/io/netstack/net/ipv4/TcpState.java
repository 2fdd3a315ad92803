package io.netstack.net.ipv4;

/**
 * The TCP states of include/net/tcp_states.h, with the kernel's numbers: a serialized form
 * (a TcpSock snapshot, a protobuf field) stores {@link #number()}, never the ordinal.
 */
public enum TcpState {
    TCP_ESTABLISHED(1),
    TCP_SYN_SENT(2),
    TCP_SYN_RECV(3),
    TCP_FIN_WAIT1(4),
    TCP_FIN_WAIT2(5),
    TCP_TIME_WAIT(6),
    TCP_CLOSE(7),
    TCP_CLOSE_WAIT(8),
    TCP_LAST_ACK(9),
    TCP_LISTEN(10),
    TCP_CLOSING(11),
    TCP_NEW_SYN_RECV(12);

    private static final TcpState[] BY_NUMBER = new TcpState[13];

    static {
        for (TcpState s : values()) BY_NUMBER[s.number] = s;
    }

    private final int number;

    TcpState(int number) { this.number = number; }

    /** The kernel's number (sk->sk_state). */
    public int number() { return number; }

    /** The state of a kernel number; IllegalArgumentException for one tcp_states.h does not have. */
    public static TcpState of(int number) {
        TcpState s = number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
        if (s == null) throw new IllegalArgumentException("no TCP state " + number);
        return s;
    }

    /** The name as tcp_states.h spells it without the TCP_ prefix ("ESTABLISHED"), as traces show it. */
    public String shortName() { return name().substring(4); }
}
