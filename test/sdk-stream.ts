/** A chat stream as the official openai SDK yields it: its text, every finish_reason and every usage seen. */
export async function readChatStream(
  stream: AsyncIterable<{
    choices: Array<{ delta: { content?: string | null }; finish_reason?: string | null }>;
    usage?: unknown;
  }>,
): Promise<{ text: string; finishes: string[]; usages: unknown[] }> {
  let text = "";
  const finishes: string[] = [];
  const usages: unknown[] = [];
  for await (const c of stream) {
    text += c.choices[0]?.delta.content ?? "";
    if (c.choices[0]?.finish_reason) finishes.push(c.choices[0].finish_reason);
    if (c.usage) usages.push(c.usage);
  }
  return { text, finishes, usages };
}
