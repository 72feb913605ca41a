// Atlassian Document Format from Markdown or plain text. Jira Cloud v3 rejects plain-string
// descriptions and comments ("Operation value must be an Atlassian Document"), so every text the
// nodes send goes through here. The Markdown subset is what findings and runbooks use: headings,
// paragraphs, bullet/ordered lists, block quotes, fenced code, rules, and inline code, bold,
// italic, strike-through and links. Anything else stays literal text (never dropped).

/** An ADF node (loosely typed: the document is JSON sent as is). */
export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
}

/** A whole ADF document. */
export interface AdfDocument {
  type: "doc";
  version: 1;
  content: AdfNode[];
}

export type TextFormat = "markdown" | "plain";

/** Converts `text` to an ADF document. */
export function toAdf(text: string, format: TextFormat = "markdown"): AdfDocument {
  return { type: "doc", version: 1, content: format === "plain" ? plainBlocks(text) : markdownBlocks(text) };
}

function lines(text: string): string[] {
  return text.replace(/\r\n?/g, "\n").split("\n");
}

/** A paragraph whose source lines are kept apart by hard breaks (what people mean in tickets). */
function paragraph(source: string[], inline: (text: string) => AdfNode[]): AdfNode {
  const content: AdfNode[] = [];
  source.forEach((line, i) => {
    if (i > 0) content.push({ type: "hardBreak" });
    content.push(...inline(line));
  });
  return { type: "paragraph", content };
}

function plainText(text: string): AdfNode[] {
  return text === "" ? [] : [{ type: "text", text }];
}

function plainBlocks(text: string): AdfNode[] {
  const blocks: AdfNode[] = [];
  let current: string[] = [];
  for (const line of lines(text)) {
    if (line.trim() === "") {
      if (current.length) blocks.push(paragraph(current, plainText));
      current = [];
    } else current.push(line);
  }
  if (current.length) blocks.push(paragraph(current, plainText));
  return blocks;
}

const INLINE =
  /(`[^`]+`)|(\*\*[^*]+\*\*|__[^_]+__)|(~~[^~]+~~)|(\[[^\]]+\]\([^)\s]+\))|(\*[^*\s](?:[^*]*[^*\s])?\*|(?<![\w])_[^_\s](?:[^_]*[^_\s])?_(?![\w]))/g;

/** Inline Markdown to ADF text nodes with marks. */
export function inlineMarkdown(text: string): AdfNode[] {
  const out: AdfNode[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const index = match.index ?? 0;
    if (index > last) out.push({ type: "text", text: text.slice(last, index) });
    const [token] = match;
    if (match[1]) out.push({ type: "text", text: token.slice(1, -1), marks: [{ type: "code" }] });
    else if (match[2]) out.push({ type: "text", text: token.slice(2, -2), marks: [{ type: "strong" }] });
    else if (match[3]) out.push({ type: "text", text: token.slice(2, -2), marks: [{ type: "strike" }] });
    else if (match[4]) {
      const link = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token)!;
      out.push({ type: "text", text: link[1]!, marks: [{ type: "link", attrs: { href: link[2]! } }] });
    } else out.push({ type: "text", text: token.slice(1, -1), marks: [{ type: "em" }] });
    last = index + token.length;
  }
  if (last < text.length) out.push({ type: "text", text: text.slice(last) });
  return out;
}

const BULLET = /^\s*[-*+]\s+(.*)$/;
const ORDERED = /^\s*(\d+)[.)]\s+(.*)$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*```\s*([\w+-]*)\s*$/;
const QUOTE = /^\s*>\s?(.*)$/;
const RULE = /^\s*(?:-{3,}|\*{3,}|_{3,})\s*$/;

function markdownBlocks(text: string): AdfNode[] {
  const source = lines(text);
  const blocks: AdfNode[] = [];
  let i = 0;
  while (i < source.length) {
    const line = source[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const code: string[] = [];
      i++;
      while (i < source.length && !FENCE.test(source[i]!)) code.push(source[i++]!);
      i++; // closing fence (or end of text)
      blocks.push({
        type: "codeBlock",
        ...(fence[1] ? { attrs: { language: fence[1] } } : {}),
        content: plainText(code.join("\n")),
      });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ type: "heading", attrs: { level: heading[1]!.length }, content: inlineMarkdown(heading[2]!) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ type: "rule" });
      i++;
      continue;
    }
    if (BULLET.test(line) || ORDERED.test(line)) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? ORDERED : BULLET;
      const items: AdfNode[] = [];
      const start = ordered ? Number(ORDERED.exec(line)![1]) : 1;
      while (i < source.length && pattern.test(source[i]!)) {
        const m = pattern.exec(source[i]!)!;
        const itemText = (ordered ? m[2] : m[1]) ?? "";
        items.push({ type: "listItem", content: [{ type: "paragraph", content: inlineMarkdown(itemText) }] });
        i++;
      }
      blocks.push(
        ordered
          ? { type: "orderedList", ...(start !== 1 ? { attrs: { order: start } } : {}), content: items }
          : { type: "bulletList", content: items },
      );
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      while (i < source.length && QUOTE.test(source[i]!)) quoted.push(QUOTE.exec(source[i++]!)![1]!);
      blocks.push({ type: "blockquote", content: markdownBlocks(quoted.join("\n")) });
      continue;
    }
    const para: string[] = [];
    while (
      i < source.length &&
      source[i]!.trim() !== "" &&
      !FENCE.test(source[i]!) &&
      !HEADING.test(source[i]!) &&
      !BULLET.test(source[i]!) &&
      !ORDERED.test(source[i]!) &&
      !QUOTE.test(source[i]!) &&
      !RULE.test(source[i]!)
    ) {
      para.push(source[i++]!);
    }
    blocks.push(paragraph(para, inlineMarkdown));
  }
  return blocks;
}
