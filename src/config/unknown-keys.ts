import type { z } from "zod";
import type { Problem } from "./load.js";
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
        else out.push({ path: [...path, k], message: `unknown key "${k}"` });
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
