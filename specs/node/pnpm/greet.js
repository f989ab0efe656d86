'use strict';

/** The greeting the server answers with. */
function hello(name) {
  return `hello, ${name || 'world'}\n`;
}

module.exports = { hello };
