#!/usr/bin/env bash
# Builds and tests examples/embed against the packed tarball of nestjs-ripple, as a user would get
# it from the registry (not against ../../src): packs the root into a temp dir, installs the
# example's own locked dependencies, then the tarball without saving it, builds and runs the e2e.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT

echo "== pack nestjs-ripple"
(cd "$root" && npm pack --silent --pack-destination "$pack_dir" >/dev/null)
tarball="$(ls "$pack_dir"/nestjs-ripple-*.tgz)"
echo "$(basename "$tarball"): $(wc -c <"$tarball") bytes"

cd "$here"
echo "== install the example (its lockfile) and the tarball"
npm ci --no-audit --no-fund
npm install --no-save --no-audit --no-fund "$tarball"
# One copy of Nest, or @RippleSse() and the module's errors break (issue 14): the tarball must
# bring none of its own.
if [ -d node_modules/nestjs-ripple/node_modules/@nestjs ]; then
  echo "nestjs-ripple brought its own @nestjs/*: they must be peer dependencies" >&2
  exit 1
fi
# The Redis client is an optional peer: a memory-only app installs none (issue 14).
if [ -d node_modules/ioredis ]; then
  echo "ioredis was installed with nestjs-ripple: it must be an optional peer" >&2
  exit 1
fi
# Fastify is an optional peer too: an Express app installs nothing of it (issue 17).
if [ -d node_modules/fastify ] || [ -d node_modules/@nestjs/platform-fastify ]; then
  echo "Fastify was installed with nestjs-ripple: @nestjs/platform-fastify must be an optional peer" >&2
  exit 1
fi

echo "== build and test the example"
rm -rf dist
npm run build
npm test

# A CommonJS app loads the ES module through require() (Node 20.19+ and 22.12+), as it loads
# @nestjs/* 12 itself.
echo "== CommonJS: require('nestjs-ripple')"
node -e "
const ripple = require('nestjs-ripple');
for (const name of ['SseModule', 'SseHub', 'RippleSse', 'MemoryBackend']) {
  if (typeof ripple[name] !== 'function') { console.error(name + ' is missing'); process.exit(1); }
}
console.log('ok');
"
