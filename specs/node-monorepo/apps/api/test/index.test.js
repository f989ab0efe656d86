const test = require("node:test");
const assert = require("node:assert");
const { greeting } = require("@acme/shared");

test("greets", () => assert.match(greeting("t"), /hello, t/));
