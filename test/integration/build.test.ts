/** The deployable bundles: each handler builds into one self-contained file that runs without node_modules. */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAll } from '../../scripts/build';
import { apiEvent, lambdaContext } from '../support/events';

it('bundles each handler into a file that loads and answers on its own', async () => {
  const isolated = mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  try {
    const results = await buildAll(path.join(isolated, 'dist'));
    expect(results.map((r) => r.name).sort()).toEqual(['product', 'retry']);
    for (const { name, file, bytes } of results) {
      expect(bytes).toBeGreaterThan(10_000);
      const copy = path.join(isolated, `${name}.js`);
      copyFileSync(file, copy);
      // Loaded from a folder with no node_modules: everything it needs must be inside the bundle.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(copy) as { handler: unknown };
      expect(typeof loaded.handler).toBe('function');
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(path.join(isolated, 'product.js')) as { handler: (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }> };
    const answer = await handler(apiEvent({ body: '{"id":' }), lambdaContext());
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body).message).toMatch(/not valid JSON/);
  } finally {
    rmSync(isolated, { recursive: true, force: true });
  }
});
