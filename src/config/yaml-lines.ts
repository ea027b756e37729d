import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";

export type Path = ReadonlyArray<string | number>;

/** "model_list[1].litellm_params.region_name" */
export function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

/**
 * 1-based line of the deepest node on `path` that exists in the document, so an error about a
 * missing key points at its parent object rather than at nothing.
 */
export function lineOf(doc: Document, counter: LineCounter, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let line = offsetLine(node, counter);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      line = offsetLine(pair.key, counter) ?? line;
      node = pair.value;
      if (node && !isScalar(node)) continue;
      line = offsetLine(node, counter) ?? line;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (!item) break;
      node = item;
      line = offsetLine(node, counter) ?? line;
    } else break;
  }
  return line;
}

function offsetLine(node: unknown, counter: LineCounter): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return undefined;
  return counter.linePos(range[0]).line;
}
