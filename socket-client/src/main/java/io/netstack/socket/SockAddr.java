package io.netstack.socket;

/** struct sockaddr_in: a dotted-quad address and a port. */
public record SockAddr(String addr, int port) {
    @Override public String toString() { return addr + ":" + port; }
}
