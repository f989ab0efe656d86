'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { hello } = require('./greet');

test('greets the world by default', () => {
  assert.strictEqual(hello(), 'hello, world\n');
  assert.strictEqual(hello('node'), 'hello, node\n');
});
