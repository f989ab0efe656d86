// Writes the build information the shared package compiles in: it needs the
// sources (packages/shared/src), so it cannot run on the manifests alone.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const pkg = require(path.join(root, "package.json"));
const out = path.join(root, "packages/shared/src/generated.ts");
fs.writeFileSync(out, `export const release = ${JSON.stringify(pkg.name + "@" + pkg.version)};\n`);
console.log(`postinstall: wrote ${path.relative(root, out)}`);
