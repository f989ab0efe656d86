package com.acme.billing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;

/** The billing service: built by its own spec, never into the orders image. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(8081), 0);
        server.start();
    }
}
