package io.netstack.service.socket.api;

/**
 * Which hosts this socket-service instance serves. Every instance serves the API, but a host's
 * socket table lives on the one instance its partition is assigned to (LayerRuntime restores it
 * there); another instance holds only a fresh, unused copy, and a call answered from it would
 * act on sockets that do not exist (or create ones that are never snapshotted). So a call for
 * a host this instance does not own is refused with FAILED_PRECONDITION, and the client goes
 * to the owner.
 */
public interface HostOwnership {

    /** Is the host's state here (its partition assigned to this instance)? */
    boolean owns(String netns);

    /** The owner's API address, "host:port", when this instance knows it; null otherwise. */
    default String ownerApi(String netns) { return null; }

    /** One instance serves every host (tests, an in-process stack). */
    HostOwnership ALL = netns -> true;
}
