'use strict';

const express = require('express');
const { hello } = require('./greet');

const port = Number(process.env.PORT || 3000);
const app = express();

app.get('/healthz', (_req, res) => res.type('text').send('ok\n'));
app.get('/', (req, res) => res.type('text').send(hello(req.query.name)));

const server = app.listen(port, () => console.log(`listening on :${port}`));

// node runs as PID 1 in the container: without a handler SIGTERM would be ignored.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
