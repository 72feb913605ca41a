// What `new Headers()` accepts, checked up front so a bad header is a config or credential error
// that names it, not a TypeError out of fetch. Messages never quote a value: it may be a secret.

/** An RFC 9110 field name (a token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Why `name` cannot be an HTTP header name, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (name === "") return "a header name cannot be empty";
  if (!HEADER_NAME.test(name))
    return `${JSON.stringify(name)} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`;
  return undefined;
}

/** Why `value` cannot be sent as a header value, or undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  // Headers strips leading and trailing whitespace, line breaks included, before it checks.
  const trimmed = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  for (let i = 0; i < trimmed.length; i++) {
    const code = trimmed.charCodeAt(i);
    if (code === 0x0a || code === 0x0d) return `contains a line break (at character ${i + 1})`;
    if (code === 0x00) return `contains a NUL character (at character ${i + 1})`;
    if (code > 0xff) return `contains a character that is not Latin-1 (at character ${i + 1})`;
  }
  return undefined;
}
