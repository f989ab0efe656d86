package com.acme.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void answersWithThePath() {
        assertEquals("orders: /42\n", Main.answer("/42"));
    }
}
