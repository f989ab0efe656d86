// The site's build: src/ to dist/, pages stamped with the package version, plus a
// /healthz file for the container's health check. No dependencies: node's fs only.
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';

const { version } = JSON.parse(await readFile('package.json', 'utf8'));
await rm('dist', { recursive: true, force: true });
await mkdir('dist');
await cp('src', 'dist', { recursive: true });
for (const name of await readdir('dist')) {
  if (name.endsWith('.html')) {
    const page = await readFile(`dist/${name}`, 'utf8');
    await writeFile(`dist/${name}`, page.replaceAll('%VERSION%', version));
  }
}
await writeFile('dist/healthz', 'ok\n');
console.log('built dist/');
