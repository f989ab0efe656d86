// Runs after the build (the test stage builds on it): dist/ holds the stamped page.
import test from 'node:test';
import assert from 'node:assert';
import { readFile } from 'node:fs/promises';

test('the build stamps the version into index.html', async () => {
  const page = await readFile('dist/index.html', 'utf8');
  assert.match(page, /version 1\.0\.0/);
  assert.strictEqual(await readFile('dist/healthz', 'utf8'), 'ok\n');
});
