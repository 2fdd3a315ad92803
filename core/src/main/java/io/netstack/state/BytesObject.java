package io.netstack.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netstack.proto.QueuedBytes;
import io.netstack.proto.StateObject;

/** Bytes of a stream (a TCP receive or send queue's chunk) as their state object (proto/state.proto). */
public enum BytesObject implements ObjectQueue.Codec<byte[]> {
    CODEC;

    @Override public byte[] encode(byte[] data) {
        return StateObject.newBuilder().setBytes(QueuedBytes.newBuilder().setData(ByteString.copyFrom(data)))
                .build().toByteArray();
    }

    @Override public byte[] decode(byte[] bytes) { return parse(bytes).getBytes().getData().toByteArray(); }

    /** A state object's bytes read back. @throws IllegalStateException when they are not one */
    public static StateObject parse(byte[] bytes) {
        try {
            return StateObject.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("not a state object: " + e.getMessage(), e);
        }
    }
}
