const { greeting } = require("@acme/shared");

console.log(greeting("web"));
