// The page's files must be found wherever the panel runs from: from the sources (tests, this file)
// and from the compiled dist/ that `npm start` runs (built by the test setup).
import { describe, expect, it } from 'vitest';
import { loadStaticFiles, webDir } from '../../../src/sim/panel/static-files.js';

describe('panel static files', () => {
  it('are found from the sources and from dist/, in the source tree', async () => {
    const fromSrc = webDir();
    expect(fromSrc).toMatch(/\/src\/sim\/panel\/web$/);
    // @ts-expect-error dist/ is tsc's output, untyped here; it exists once the setup has built it.
    const compiled = (await import('../../../dist/src/sim/panel/static-files.js')) as { webDir(): string };
    expect(compiled.webDir()).toBe(fromSrc);
    const files = loadStaticFiles();
    expect([...files.keys()].sort()).toEqual(
      expect.arrayContaining(['/', '/index.html', '/panel.js', '/panel.css', '/oled.js', '/favicon.svg']),
    );
    expect([...files.keys()].every((k) => k === '/' || /^\/[a-z-]+\.(html|js|css|svg)$/.test(k))).toBe(true);
  });

  it('refuses to start without the page', () => {
    expect(() => loadStaticFiles('/tmp')).toThrow(/no index.html/);
  });
});
