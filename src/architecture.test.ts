import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Layering checks over the source tree. A cycle between modules makes evaluation order matter (an ESM
 * binding read before its module ran is `undefined` or a TDZ error) and usually means a shared type has
 * no home of its own; type-only imports count, since they are where such cycles start.
 */

type Graph = ReadonlyMap<string, readonly string[]>;

const SRC = resolve(import.meta.dirname);
const ROOT = resolve(SRC, "..");
const TEST_DIR = resolve(ROOT, "test");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** Every module specifier in the file: static, type-only, re-exports and dynamic `import("…")`. */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** `./x.js` as written under NodeNext resolves to the `./x.ts` beside it. */
function resolveRelative(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, ".ts"), base, join(base, "index.ts")]) {
    if (candidate.endsWith(".ts") && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const deps = specifiers(readFileSync(file, "utf8"))
      .map((s) => resolveRelative(file, s))
      .filter((d): d is string => d !== undefined);
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** Strongly connected components with a cycle in them (Tarjan), each as its member nodes. */
function cyclicComponents(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One concrete loop through the component's first node, for a failure message a person can act on. */
function loopThrough(graph: Graph, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = parent.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

function describeCycles(graph: Graph, at: string): string[] {
  return cyclicComponents(graph).map((c) =>
    loopThrough(graph, c)
      .map((f) => relative(at, f))
      .join(" -> "),
  );
}

describe("cycle finder", () => {
  const g = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges));

  it("finds none in a tree-shaped graph", () => {
    expect(cyclicComponents(g({ a: ["b", "c"], b: ["c"], c: [] }))).toEqual([]);
  });

  it("names a loop through every member of a cycle", () => {
    const graph = g({ a: ["b"], b: ["c"], c: ["a", "d"], d: [] });
    expect(describeCycles(graph, "")).toEqual(["a -> b -> c -> a"]);
  });

  it("finds a module importing itself and separate cycles separately", () => {
    const graph = g({ a: ["a"], b: ["c"], c: ["b"] });
    expect(cyclicComponents(graph)).toHaveLength(2);
  });

  it("reads type-only, re-export and dynamic imports", () => {
    const text = [
      'import type { A } from "./a.js";',
      'import {\n  type B,\n  c,\n} from "./b.js";',
      'export { D } from "./d.js";',
      'export type * from "./e.js";',
      'const m = await import("./f.js");',
    ].join("\n");
    expect(specifiers(text)).toEqual(["./a.js", "./b.js", "./d.js", "./e.js", "./f.js"]);
  });
});

describe("src/ layering", () => {
  const sources = tsFiles(SRC);

  it("has no import cycles", () => {
    expect(describeCycles(importGraph(sources), SRC)).toEqual([]);
  });

  it("does not import test/ from code that ships", () => {
    const offenders = sources
      .filter((f) => !f.endsWith(".test.ts"))
      .flatMap((f) =>
        specifiers(readFileSync(f, "utf8"))
          .map((s) => resolveRelative(f, s) ?? "")
          .filter((d) => d.startsWith(`${TEST_DIR}/`))
          .map((d) => `${relative(ROOT, f)} -> ${relative(ROOT, d)}`),
      );
    expect(offenders).toEqual([]);
  });
});
