package io.netstack.service.socket.api;

import io.netstack.stack.LayerContext;

import java.util.function.Function;

/**
 * Runs a socket API call as a visit of the socket layer: with the layer's lock held and a
 * context whose outputs (SK_SENDMSG records) and events are published before it returns. The
 * service's implementation is LayerRuntime#runAction (one Kafka transaction per call); tests
 * use an in-process stack.
 */
public interface SocketVisits {
    <T> T visit(Function<LayerContext, T> action);
}
