package com.acme.report;

/** Prints a release report; run by developers, not shipped. */
public final class Report {
    private Report() {}

    public static void main(String[] args) {
        System.out.println("report");
    }
}
