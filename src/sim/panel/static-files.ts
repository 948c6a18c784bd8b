// The panel page's files (web/: HTML, plain ES-module JavaScript, CSS, an SVG icon), read once at
// start and served by exact name, so no request path ever reaches the file system and `../` has
// nothing to climb.
//
// Where they are: tsc compiles only .ts and copies nothing, and the page needs no build (DESIGN §2),
// so the files stay in the source tree and are served from there whether this module runs from
// src/ (tests) or from dist/src/ (`npm start`): both sit below the package root, found as the
// nearest directory with a package.json, and src/ ships in every clone and package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The web/ directory in the source tree of the package this module belongs to. */
export function webDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return join(dir, 'src', 'sim', 'panel', 'web');
}

/** The servable files of `dir` by URL path ("/" is index.html); throws if the page is missing. */
export function loadStaticFiles(dir = webDir()): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(`/${name}`, { type, body: readFileSync(join(dir, name)) });
  }
  const index = files.get('/index.html');
  if (!index) throw new Error(`the panel page is missing: no index.html in ${dir}`);
  files.set('/', index);
  return files;
}
