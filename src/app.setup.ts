import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { JsonExceptionFilter } from './http/json-exception.filter.js';

const require = createRequire(import.meta.url);

/** The page, from `public/` at the project root (one level above both `src/` and `dist/`). */
export const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

/**
 * What main.ts and the e2e tests both apply to the app, so the tests run the app users run.
 */
export function configureApp(app: NestExpressApplication, maxPayloadBytes: number): void {
  // The envelope ({"data": ..., "type": ...}) around a payload at the limit must still parse; the
  // payload itself is measured exactly by the hub.
  // Not strict: a body that is JSON but not an object gets the hub's own, clearer refusal.
  app.useBodyParser('json', { limit: maxPayloadBytes + 64 * 1024, strict: false });
  app.useGlobalFilters(new JsonExceptionFilter());
  app.useStaticAssets(PUBLIC_DIR, { index: 'index.html' });
  app.useStaticAssets(join(dirname(require.resolve('uplot/package.json')), 'dist'), {
    prefix: '/vendor/uplot/',
  });
}
