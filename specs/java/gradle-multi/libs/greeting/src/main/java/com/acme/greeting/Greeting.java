package com.acme.greeting;

/** The greeting every service of the shop answers with. */
public final class Greeting {
    private Greeting() {}

    public static String of(String name) {
        return "hello, " + name + "\n";
    }
}
