package io.netstack.service.socket.api;

import io.netstack.stack.LayerContext;

import java.util.function.Function;

/**
 * Runs a socket API call as a visit of the socket layer: with the layer's lock held and a
 * context whose outputs (SK_SENDMSG records) and events are published before it returns. The
 * service's implementation is LayerRuntime#runAction (one Kafka transaction per call); tests
 * use an in-process stack. {@code netns} is the host the call is about: only its state can
 * change, so only its snapshot is written.
 */
public interface SocketVisits {
    <T> T visit(String netns, Function<LayerContext, T> action);
}
