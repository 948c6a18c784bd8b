// Turning schema (zod) issues into lines a person can act on: the key, the value found, and what
// is allowed (DESIGN §2 "Config", §7). Shared by everything Kith reads from a file a person
// writes: the config (TOML: "tables") and board profiles (JSON: "objects", "lists").
import type { z } from 'zod';

export interface ExplainOptions {
  /** What the format calls a nested map and a sequence ("table"/"array" in TOML, "object"/"list" in JSON). */
  objectNoun: string;
  listNoun: string;
  /** The keys allowed at a path, to list after an unknown key; without it only the unknown key is named. */
  allowedKeys?: (path: PropertyKey[]) => string[];
}

export function explainIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  o: ExplainOptions,
): string[] {
  return issues.map((issue) => explain(issue, raw, o));
}

const a = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

function explain(issue: z.core.$ZodIssue, raw: unknown, o: ExplainOptions): string {
  const key = issue.path.join('.');
  const found = show(valueAt(raw, issue.path), o);
  const size = (origin: string, bound: string, n: number | bigint) =>
    origin === 'array'
      ? `${a(o.listNoun)} of ${bound} ${n}`
      : origin === 'string'
        ? `${bound} ${n} characters`
        : `${bound} ${n}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      if (!o.allowedKeys) return `${key || '(top level)'}: ${keys}`;
      return `${keys} in ${key === '' ? 'the top level' : `[${key}]`}; allowed: ${o.allowedKeys(issue.path).join(', ')}`;
    }
    case 'invalid_value':
      return `${key} = ${found}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      // A discriminated union names the values its discriminator may take.
      const options = (issue as { options?: unknown[] }).options;
      if (!options) return `${key} = ${found}: ${issue.message}`;
      return `${key} = ${found}: must be one of ${options.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'invalid_type': {
      const expected =
        issue.expected === 'int'
          ? 'a whole number'
          : issue.expected === 'object'
            ? a(o.objectNoun)
            : issue.expected === 'array'
              ? a(o.listNoun)
              : a(issue.expected);
      return `${key} = ${found}: must be ${expected}`;
    }
    case 'too_small':
      return `${key} = ${found}: must be ${size(issue.origin, 'at least', issue.minimum)}`;
    case 'too_big':
      return `${key} = ${found}: must be ${size(issue.origin, 'at most', issue.maximum)}`;
    default:
      return `${key} = ${found}: ${issue.message}`;
  }
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[part];
  }
  return v;
}

function show(v: unknown, o: ExplainOptions): string {
  if (v === undefined) return '(missing)';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) return `(${a(Array.isArray(v) ? o.listNoun : o.objectNoun)})`;
  return String(v);
}
