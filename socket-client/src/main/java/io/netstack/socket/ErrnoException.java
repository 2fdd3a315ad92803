package io.netstack.socket;

import java.io.IOException;

/** A socket call failed with an errno, named as in include/uapi/asm-generic/errno*.h ("ECONNREFUSED"). */
public final class ErrnoException extends IOException {

    private final String errno;

    public ErrnoException(String errno, String message) {
        super(message == null || message.isEmpty() ? errno : errno + ": " + message);
        this.errno = errno;
    }

    /** The errno's name: "EADDRINUSE", "ECONNREFUSED", "EAGAIN", ... */
    public String errno() { return errno; }
}
