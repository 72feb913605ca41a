// A local stand-in for the Jira Cloud REST API v3, faithful to what the plugin depends on: Basic
// auth, `{errorMessages, errors}` error bodies, ADF-only descriptions/comments, the token-paged
// `POST /rest/api/3/search/jql` (no `total`, `nextPageToken` absent on the last page, `isLast`),
// transitions answered with 204 and 429 with `Retry-After`/`X-RateLimit-Reset`.
// Tests steer it through the public fields and `inject()`.
import type { ServerResponse } from "node:http";
import { FakeService, type RecordedRequest, sendJson, sendText } from "@weft/sdk/testing";

export interface FakeIssue {
  id: string;
  key: string;
  fields: {
    project: { key: string };
    issuetype: { name: string };
    summary: string;
    description?: unknown;
    labels: string[];
    priority?: { name: string };
    status: { name: string; statusCategory: { key: "new" | "indeterminate" | "done" } };
    [custom: string]: unknown;
  };
  comments: { id: string; body: unknown }[];
}

const TRANSITIONS = [
  { id: "11", name: "To Do", to: { name: "To Do", statusCategory: { key: "new" } } },
  { id: "21", name: "Start Progress", to: { name: "In Progress", statusCategory: { key: "indeterminate" } } },
  { id: "31", name: "Done", to: { name: "Done", statusCategory: { key: "done" } } },
] as const;

export class FakeJira extends FakeService {
  email = "secops@example.com";
  apiToken = "jira-token";
  projects = new Map<string, { id: string; issueTypes: string[] }>([
    ["SEC", { id: "10000", issueTypes: ["Task", "Bug", "Vulnerability"] }],
  ]);
  priorities = ["Highest", "High", "Medium", "Low", "Lowest"];
  /** Create this many issues but answer 503 (the answer is "lost", as behind a failing proxy). */
  loseCreateAnswers = 0;
  /** Custom fields that exist on the create screen. */
  customFields = new Set(["customfield_10050"]);
  readonly issues: FakeIssue[] = [];
  private nextId = 10001;

  /** Answer the next `times` matching requests with 429, `Retry-After` and `X-RateLimit-Reset`. */
  rateLimit(path: string | RegExp, seconds: number, times = 1, method?: string): void {
    this.inject({
      method,
      path,
      times,
      status: 429,
      headers: {
        "retry-after": String(seconds),
        "x-ratelimit-reset": new Date(Date.now() + seconds * 1000).toISOString(),
        "content-type": "application/json",
      },
      body: JSON.stringify({ errorMessages: ["Rate limit exceeded."], errors: {} }),
    });
  }

  /** Adds an open issue directly (for tests that start from an existing ticket). */
  seedIssue(summary: string, project = "SEC", labels: string[] = []): FakeIssue {
    const issue: FakeIssue = {
      id: String(this.nextId++),
      key: `${project}-${this.issues.filter((i) => i.fields.project.key === project).length + 1}`,
      fields: {
        project: { key: project },
        issuetype: { name: "Task" },
        summary,
        labels,
        status: { name: "To Do", statusCategory: { key: "new" } },
      },
      comments: [],
    };
    this.issues.push(issue);
    return issue;
  }

  protected override answerMalformedBody(res: ServerResponse) {
    send(res, 400, { errorMessages: ["Unexpected character in the request body."], errors: {} });
  }

  protected override answerFailure(res: ServerResponse, error: unknown) {
    send(res, 500, { errorMessages: [String(error)], errors: {} });
  }

  protected route(request: RecordedRequest, res: ServerResponse) {
    const { method, path, body } = request;
    const expected = `Basic ${Buffer.from(`${this.email}:${this.apiToken}`).toString("base64")}`;
    if (request.headers.authorization !== expected) {
      return sendText(res, 401, "Client must be authenticated to access this resource.", "text/plain;charset=UTF-8");
    }

    const match = (pattern: RegExp) => path.match(pattern);
    let m: RegExpMatchArray | null = null;
    if (method === "POST" && path === "/rest/api/3/issue") return this.createIssue(res, body);
    if (method === "POST" && path === "/rest/api/3/search/jql") return this.search(res, body);
    m = match(/^\/rest\/api\/3\/issue\/([^/]+)\/transitions$/);
    if (m) {
      const issue = this.find(m[1]!);
      if (!issue) return issueNotFound(res);
      if (method === "GET") return send(res, 200, { expand: "transitions", transitions: TRANSITIONS });
      if (method === "POST") {
        const id = (body as { transition?: { id?: string } } | undefined)?.transition?.id;
        const transition = TRANSITIONS.find((t) => t.id === id);
        if (!transition) {
          return send(res, 400, {
            errorMessages: ["Transition id '" + String(id) + "' is not valid for this issue."],
            errors: {},
          });
        }
        issue.fields.status = { name: transition.to.name, statusCategory: { key: transition.to.statusCategory.key } };
        res.writeHead(204);
        res.end();
        return;
      }
    }
    m = method === "POST" ? match(/^\/rest\/api\/3\/issue\/([^/]+)\/comment$/) : null;
    if (m) {
      const issue = this.find(m[1]!);
      if (!issue) return issueNotFound(res);
      const commentBody = (body as { body?: unknown } | undefined)?.body;
      if (!isAdf(commentBody)) {
        return send(res, 400, {
          errorMessages: [],
          errors: { comment: "Comment body is not valid: Operation value must be an Atlassian Document" },
        });
      }
      const comment = { id: String(this.nextId++), body: commentBody };
      issue.comments.push(comment);
      return send(res, 201, {
        id: comment.id,
        self: `${this.url}/rest/api/3/issue/${issue.id}/comment/${comment.id}`,
        body: commentBody,
        created: new Date().toISOString(),
      });
    }
    m = method === "GET" ? match(/^\/rest\/api\/3\/issue\/([^/]+)$/) : null;
    if (m) {
      const issue = this.find(m[1]!);
      if (!issue) return issueNotFound(res);
      return send(res, 200, this.view(issue));
    }
    return send(res, 404, { errorMessages: ["Not found"], errors: {} });
  }

  private createIssue(res: ServerResponse, body: unknown) {
    const fields = ((body as { fields?: Record<string, unknown> } | undefined)?.fields ?? {}) as Record<
      string,
      unknown
    >;
    const errors: Record<string, string> = {};
    const projectKey = (fields["project"] as { key?: string } | undefined)?.key;
    const project = projectKey ? this.projects.get(projectKey) : undefined;
    if (!project) errors["project"] = "valid project is required";
    const issueType = (fields["issuetype"] as { name?: string } | undefined)?.name;
    if (project && (!issueType || !project.issueTypes.includes(issueType))) {
      errors["issuetype"] = "Specify a valid issue type";
    }
    if (typeof fields["summary"] !== "string" || fields["summary"].trim() === "") {
      errors["summary"] = "You must specify a summary of the issue.";
    } else if (fields["summary"].length > 255) {
      errors["summary"] = "Summary must be less than 255 characters.";
    }
    if (fields["description"] !== undefined && !isAdf(fields["description"])) {
      errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)";
    }
    const labels = (fields["labels"] ?? []) as unknown[];
    if (!Array.isArray(labels) || labels.some((l) => typeof l !== "string" || /\s/.test(l))) {
      errors["labels"] = "The label must not contain spaces.";
    }
    const priority = (fields["priority"] as { name?: string } | undefined)?.name;
    if (fields["priority"] !== undefined && (!priority || !this.priorities.includes(priority))) {
      errors["priority"] = "The priority selected is invalid.";
    }
    for (const name of Object.keys(fields)) {
      if (name.startsWith("customfield_") && !this.customFields.has(name)) {
        errors[name] = `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`;
      }
    }
    if (Object.keys(errors).length > 0) return send(res, 400, { errorMessages: [], errors });
    const id = String(this.nextId++);
    const key = `${projectKey}-${this.issues.filter((i) => i.fields.project.key === projectKey).length + 1}`;
    const { project: _p, issuetype: _t, summary, description, labels: _l, priority: _pr, ...custom } = fields;
    this.issues.push({
      id,
      key,
      fields: {
        ...custom,
        project: { key: projectKey! },
        issuetype: { name: issueType! },
        summary: summary as string,
        description,
        labels: labels as string[],
        priority: priority ? { name: priority } : undefined,
        status: { name: "To Do", statusCategory: { key: "new" } },
      },
      comments: [],
    });
    if (this.loseCreateAnswers > 0) {
      this.loseCreateAnswers--;
      return sendText(res, 503, "<html><body>Service Unavailable</body></html>", "text/html");
    }
    send(res, 201, { id, key, self: `${this.url}/rest/api/3/issue/${id}` });
  }

  private search(res: ServerResponse, body: unknown) {
    const request = (body ?? {}) as { jql?: string; maxResults?: number; nextPageToken?: string; fields?: string[] };
    let predicate: (issue: FakeIssue) => boolean;
    try {
      predicate = parseJql(request.jql ?? "");
    } catch (error) {
      return send(res, 400, { errorMessages: [(error as Error).message], errors: {} });
    }
    const all = this.issues.filter(predicate).reverse(); // ORDER BY created DESC
    const start = request.nextPageToken ? Number(Buffer.from(request.nextPageToken, "base64url").toString()) : 0;
    if (!Number.isInteger(start) || start < 0) {
      return send(res, 400, { errorMessages: ["The provided next page token is invalid."], errors: {} });
    }
    const size = Math.min(request.maxResults ?? 50, 5000);
    const page = all.slice(start, start + size);
    const isLast = start + size >= all.length;
    send(res, 200, {
      issues: page.map((issue) => this.view(issue, request.fields)),
      isLast,
      ...(isLast ? {} : { nextPageToken: Buffer.from(String(start + size)).toString("base64url") }),
    });
  }

  private view(issue: FakeIssue, fields?: string[]): Record<string, unknown> {
    const wanted = fields && !fields.includes("*all") ? fields : Object.keys(issue.fields);
    const selected: Record<string, unknown> = {};
    for (const name of wanted) if (name in issue.fields) selected[name] = issue.fields[name];
    return { id: issue.id, key: issue.key, self: `${this.url}/rest/api/3/issue/${issue.id}`, fields: selected };
  }

  private find(idOrKey: string): FakeIssue | undefined {
    return this.issues.find((i) => i.key === idOrKey || i.id === idOrKey);
  }
}

/**
 * The JQL subset the plugin and tests use: clauses joined by AND, each `field = value`,
 * `field != value` or `field in (a, b)` over project, labels, status, statusCategory and key,
 * plus a trailing ORDER BY (ignored: results are newest first).
 */
function parseJql(jql: string): (issue: FakeIssue) => boolean {
  const where = jql.replace(/\s+ORDER\s+BY\s+.*$/i, "").trim();
  if (where === "") throw new Error("Unbounded JQL queries are not allowed here. Please add a search restriction.");
  const clauses = where.split(/\s+AND\s+/i).map((clause) => {
    const m = clause.trim().match(/^(\w+)\s*(=|!=|in|not in)\s*(.+)$/i);
    if (!m) throw new Error(`Error in the JQL Query: Expecting operator but got '${clause}'.`);
    const field = m[1]!.toLowerCase();
    const op = m[2]!.toLowerCase();
    const values = (op.endsWith("in") ? m[3]!.replace(/^\(|\)$/g, "").split(",") : [m[3]!]).map((v) =>
      v.trim().replace(/^"|"$/g, "").toLowerCase(),
    );
    const read = (issue: FakeIssue): string[] => {
      switch (field) {
        case "project":
          return [issue.fields.project.key.toLowerCase()];
        case "labels":
          return issue.fields.labels.map((l) => l.toLowerCase());
        case "status":
          return [issue.fields.status.name.toLowerCase()];
        case "statuscategory":
          return [issue.fields.status.statusCategory.key === "done" ? "done" : issue.fields.status.statusCategory.key];
        case "key":
          return [issue.key.toLowerCase()];
        default:
          throw new Error(`Field '${m[1]}' does not exist or you do not have permission to view it.`);
      }
    };
    const positive = op === "=" || op === "in";
    return (issue: FakeIssue) => read(issue).some((v) => values.includes(v)) === positive;
  });
  // Surface unknown fields when the query is parsed, as Jira does, not on the first match.
  const probe: FakeIssue = {
    id: "0",
    key: "X-0",
    fields: {
      project: { key: "X" },
      issuetype: { name: "Task" },
      summary: "",
      labels: [],
      status: { name: "To Do", statusCategory: { key: "new" } },
    },
    comments: [],
  };
  for (const clause of clauses) clause(probe);
  return (issue) => clauses.every((clause) => clause(issue));
}

function isAdf(value: unknown): boolean {
  const doc = value as { type?: unknown; version?: unknown; content?: unknown } | null;
  return (
    typeof doc === "object" && doc !== null && doc.type === "doc" && doc.version === 1 && Array.isArray(doc.content)
  );
}

function issueNotFound(res: ServerResponse) {
  send(res, 404, { errorMessages: ["Issue does not exist or you do not have permission to see it."], errors: {} });
}

function send(res: ServerResponse, status: number, body: unknown) {
  sendJson(res, status, body, "application/json;charset=UTF-8");
}
