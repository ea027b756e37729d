/**
 * Parse a request body. Strict JSON first (the fast path). If that fails, one lenient retry that
 * removes `#`/`//` line comments outside strings and trailing commas — exactly what copy-pasted
 * documentation examples contain (LiteLLM's own docs annotate bodies with `# 👈 ...`).
 * Anything else is still a 400 with the parser's position.
 */
export function parseJsonBody(text: string): { value: unknown; lenient: boolean } {
  try {
    return { value: JSON.parse(text), lenient: false };
  } catch (strictErr) {
    const cleaned = stripCommentsAndTrailingCommas(text);
    if (cleaned !== text) {
      try {
        return { value: JSON.parse(cleaned), lenient: true };
      } catch {
        // report the original error below
      }
    }
    throw strictErr;
  }
}

export function stripCommentsAndTrailingCommas(s: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      out += c;
      if (c === "\\") {
        out += s[i + 1] ?? "";
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "#" || (c === "/" && s[i + 1] === "/")) {
      while (i < s.length && s[i] !== "\n") i++;
      out += "\n";
    } else out += c;
  }
  // trailing commas: `, }` or `, ]` (whitespace and newlines between)
  return out.replace(/,(\s*[}\]])/g, "$1");
}
