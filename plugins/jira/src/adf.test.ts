import { describe, expect, it } from "vitest";
import { toAdf } from "./adf.ts";

describe("toAdf", () => {
  it("converts the Markdown people write in tickets", () => {
    const doc = toAdf(
      "# Finding\nSee [advisory](https://example.com/a) and `openssl`.\n\n- **patch**\n- ~~ignore~~\n\n2. first\n3. second\n\n> quoted\n\n```sh\napt upgrade\n```\n\n---",
    );
    expect(doc.content.map((n) => n.type)).toEqual([
      "heading",
      "paragraph",
      "bulletList",
      "orderedList",
      "blockquote",
      "codeBlock",
      "rule",
    ]);
    expect(doc.content[1]?.content).toContainEqual({
      type: "text",
      text: "advisory",
      marks: [{ type: "link", attrs: { href: "https://example.com/a" } }],
    });
    expect(doc.content[3]?.attrs).toEqual({ order: 2 });
    expect(doc.content[5]).toEqual({
      type: "codeBlock",
      attrs: { language: "sh" },
      content: [{ type: "text", text: "apt upgrade" }],
    });
  });

  it("keeps snake_case words and lone asterisks as text", () => {
    const doc = toAdf("set max_conn_count to 5 * 2");
    expect(doc.content[0]?.content).toEqual([{ type: "text", text: "set max_conn_count to 5 * 2" }]);
  });

  it("treats plain text literally", () => {
    expect(toAdf("**not bold**", "plain").content[0]?.content).toEqual([{ type: "text", text: "**not bold**" }]);
    expect(toAdf("", "plain")).toEqual({ type: "doc", version: 1, content: [] });
  });
});
