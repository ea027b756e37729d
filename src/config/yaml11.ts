import type { DocumentOptions, ParseOptions, SchemaOptions, Tags } from "yaml";

/**
 * Options that make the `yaml` package read scalars as PyYAML (LiteLLM's loader) does: YAML 1.1
 * ints with `_`, `0x`, `0b`, leading-zero octal and sexagesimal `1:30`; `yes/no/on/off` booleans.
 * The package's 1.1 schema goes further than PyYAML in three places, narrowed here:
 * - `y`/`n` are booleans for the package but strings for PyYAML (`region_name: n` must stay text);
 * - `1e3` (no dot, unsigned exponent) is a float for the package, a string for PyYAML;
 * - dates: PyYAML makes a `date`, which LiteLLM turns back into its text (`api_version: 2024-06-01`),
 *   so the source text is kept instead of a JS Date.
 */
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_FLOAT_EXP = /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*[eE][-+][0-9]+$/;

function pyyamlTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const t of tags) {
    if (typeof t === "string") {
      out.push(t);
      continue;
    }
    if (t.tag === "tag:yaml.org,2002:timestamp") continue;
    if (t.tag === "tag:yaml.org,2002:bool" && "test" in t && t.test) {
      const isTrue = t.test.test("true");
      out.push({ ...t, test: isTrue ? TRUE : FALSE });
      continue;
    }
    if (t.tag === "tag:yaml.org,2002:float" && "test" in t && t.test?.test("1e3")) {
      out.push({ ...t, test: PY_FLOAT_EXP });
      continue;
    }
    out.push(t);
  }
  return out;
}

export const PYYAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: "1.1",
  customTags: pyyamlTags,
};
