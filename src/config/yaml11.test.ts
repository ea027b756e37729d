import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { PYYAML_OPTIONS } from "./yaml11.js";

const read = (text: string) => parseDocument(text, PYYAML_OPTIONS).toJS();

describe("YAML read as PyYAML reads it", () => {
  it("YAML 1.1 numbers", () => {
    expect(read("a: 20_000\nb: 0x1F\nc: 017\nd: 1:30\ne: 1_000.5\nf: 1.0e+3\ng: 0b11\n")).toEqual({
      a: 20000,
      b: 31,
      c: 15,
      d: 90,
      e: 1000.5,
      f: 1000,
      g: 3,
    });
  });

  it("yes/no/on/off are booleans, y/n and quoted words are not", () => {
    expect(read('a: yes\nb: Off\nc: ON\nd: "yes"\ne: y\nf: n\ng: "eu"\n')).toEqual({
      a: true,
      b: false,
      c: true,
      d: "yes",
      e: "y",
      f: "n",
      g: "eu",
    });
  });

  it("keeps what PyYAML keeps as text: 1e3, dates, 0o17; ~ and empty are null", () => {
    expect(read("a: 1e3\nb: 2024-06-01\nc: 0o17\nd: ~\ne:\n")).toEqual({
      a: "1e3",
      b: "2024-06-01",
      c: "0o17",
      d: null,
      e: null,
    });
  });
});
