'use strict';

// The image's health check: the slim image has no curl, node's fetch does the probe.
const port = Number(process.env.PORT || 3000);
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) })
  .then((res) => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1));
