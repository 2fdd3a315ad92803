package io.netstack.skb;

/**
 * The protocol of a socket, as the first word of its key names it ("tcp 10.0.0.2:80
 * 10.0.0.1:40000", "udp 0.0.0.0:5353", "raw icmp"): sk->sk_protocol of the socket an skb
 * belongs to (skb->sk), read from {@link ControlBlock#socket} by {@link ControlBlock#socketProto()}.
 */
public enum SockProto {
    TCP("tcp"),
    UDP("udp"),
    /** A raw socket (SOCK_RAW): the ICMP echo a ping sends. */
    RAW("raw");

    private final String word;

    SockProto(String word) { this.word = word; }

    /** The key's first word: "tcp", "udp", "raw". */
    public String word() { return word; }

    /** A key of this protocol: the word, a space, then {@code rest} ("10.0.0.2:80 10.0.0.1:40000"). */
    public String key(String rest) { return word + " " + rest; }

    /** The protocol {@code key} names; null for a null key or one of no known protocol. */
    public static SockProto ofKey(String key) {
        if (key == null) return null;
        int sp = key.indexOf(' ');
        String w = sp < 0 ? key : key.substring(0, sp);
        for (SockProto p : values()) if (p.word.equals(w)) return p;
        return null;
    }
}
