package io.netstack.service.socket.apps;

import io.netstack.socket.ErrnoException;
import io.netstack.socket.NetstackSocket;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small HTTP/1.1 server (RFC 9112): reads one request (up to the blank line), answers
 * {@code GET /} (and HEAD) with a page naming the host, anything else with 404 (405 for other
 * methods), then closes the connection ({@code Connection: close}).
 */
final class HttpApp {

    private HttpApp() {}

    /** Requests larger than this get 431. */
    static final int MAX_HEAD = 16 * 1024;

    static void serve(String netns, NetstackSocket c) throws ErrnoException {
        c.setTimeout(java.time.Duration.ofSeconds(30));
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (indexOfBlankLine(head.toByteArray()) < 0) {
            byte[] d = c.recv(4096);
            if (d.length == 0) return;
            head.write(d, 0, d.length);
            if (head.size() > MAX_HEAD) {
                c.sendAll(response(431, "Request Header Fields Too Large", "text/plain", "too large\n", true));
                c.shutdown(1);
                return;
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String requestLine = text.substring(0, text.indexOf("\r\n") < 0 ? text.indexOf('\n') : text.indexOf("\r\n"));
        String[] parts = requestLine.trim().split(" ");
        byte[] out;
        if (parts.length != 3 || !parts[2].startsWith("HTTP/")) {
            out = response(400, "Bad Request", "text/plain", "bad request\n", true);
        } else if (!parts[0].equals("GET") && !parts[0].equals("HEAD")) {
            out = response(405, "Method Not Allowed", "text/plain", "only GET and HEAD\n", true);
        } else if (parts[1].equals("/") || parts[1].equals("/index.html")) {
            out = response(200, "OK", "text/html; charset=utf-8", page(netns, c), parts[0].equals("GET"));
        } else {
            out = response(404, "Not Found", "text/plain", "not found: " + parts[1] + "\n", parts[0].equals("GET"));
        }
        c.sendAll(out);
        c.shutdown(1);
        // Read until the client closes too, so its FIN meets an open socket (no RST on close).
        byte[] d;
        do {
            d = c.recv(4096);
        } while (d.length > 0);
    }

    static String page(String netns, NetstackSocket c) throws ErrnoException {
        return "<!DOCTYPE html>\n<html><head><title>netstack " + netns + "</title></head>\n"
                + "<body><h1>Hello from " + netns + "</h1>\n"
                + "<p>Served by the emulated Linux network stack (netstack) at " + c.local()
                + " to " + c.peer() + ".</p></body></html>\n";
    }

    static byte[] response(int status, String reason, String type, String body, boolean withBody) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String h = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Server: netstack\r\n"
                + "Content-Type: " + type + "\r\n"
                + "Content-Length: " + b.length + "\r\n"
                + "Connection: close\r\n\r\n";
        byte[] hb = h.getBytes(StandardCharsets.US_ASCII);
        if (!withBody) return hb;
        byte[] out = new byte[hb.length + b.length];
        System.arraycopy(hb, 0, out, 0, hb.length);
        System.arraycopy(b, 0, out, hb.length, b.length);
        return out;
    }

    static int indexOfBlankLine(byte[] b) {
        for (int i = 0; i + 1 < b.length; i++) {
            if (b[i] == '\n' && b[i + 1] == '\n') return i;
            if (i + 3 < b.length && b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
        }
        return -1;
    }
}
