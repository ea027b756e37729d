import type { z } from "zod";
import type { Problem } from "./problem.js";
import type { Path } from "./yaml-lines.js";

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Keys present in `value` that `schema` does not declare: reported, never fatal (LiteLLM has many). */
export function unknownKeys(schema: z.ZodType, value: unknown, path: Path = []): Problem[] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
      return def.innerType ? unknownKeys(def.innerType, value, path) : [];
    case "pipe":
      return def.in ? unknownKeys(def.in, value, path) : [];
    case "union": {
      // Use the first branch whose shape matches the value's kind; unions here are scalar-or-object.
      const branch = def.options?.find((o) => (defOf(o).type === "object") === isPlainObject(value));
      return branch ? unknownKeys(branch, value, path) : [];
    }
    case "array":
      if (!Array.isArray(value) || !def.element) return [];
      return value.flatMap((v, i) => unknownKeys(def.element as z.ZodType, v, [...path, i]));
    case "record":
      if (!isPlainObject(value) || !def.valueType) return [];
      return Object.entries(value).flatMap(([k, v]) =>
        unknownKeys(def.valueType as z.ZodType, v, [...path, k]),
      );
    case "object": {
      if (!isPlainObject(value) || !def.shape) return [];
      const out: Problem[] = [];
      for (const [k, v] of Object.entries(value)) {
        const child = def.shape[k];
        if (child) out.push(...unknownKeys(child, v, [...path, k]));
        else {
          const near = closest(k, Object.keys(def.shape));
          out.push({
            path: [...path, k],
            message: `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ""}`,
          });
        }
      }
      return out;
    }
    default:
      return [];
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The known key within two edits of a typo, if exactly one is that close. */
function closest(key: string, known: string[]): string | undefined {
  const near = known.filter((k) => editDistance(key.toLowerCase(), k) <= 2);
  return near.length === 1 ? near[0] : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
