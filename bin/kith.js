#!/usr/bin/env node
// The `kith` command: a thin launcher for the compiled CLI (run `npm run build` first in a checkout).
import '../dist/src/cli/main.js';
