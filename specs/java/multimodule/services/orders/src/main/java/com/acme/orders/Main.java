package com.acme.orders;

import com.acme.common.Http;
import java.io.IOException;

/** The orders service. */
public final class Main {
    private Main() {}

    static String answer(String path) {
        return "orders: " + path + "\n";
    }

    public static void main(String[] args) throws IOException {
        Http.serve("orders", Main::answer);
    }
}
