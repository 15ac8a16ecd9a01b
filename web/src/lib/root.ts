// Where the server is mounted: "" at the root of its origin, or a path such as "/taskforge"
// behind a proxy that forwards a prefix (ASGI root_path). The server writes it into the
// page as <meta name="taskforge-root" content="...">; the GraphQL URL, the router's
// basename and the links made by hand start with it. The dev server writes none: "".

/** The mount path a page names (no trailing slash; "" when it names none). */
export function readRoot(doc: Pick<Document, "querySelector">): string {
  const content = doc.querySelector('meta[name="taskforge-root"]')?.getAttribute("content") ?? "";
  return content.replace(/\/+$/, "");
}

export const ROOT = typeof document === "undefined" ? "" : readRoot(document);

/** An address of the dashboard (a client route such as "/jobs/1") as the browser sees it. */
export function appHref(path: string): string {
  return ROOT + path;
}

/** The client route of an address made by `appHref`. */
export function appPath(href: string): string {
  return ROOT && href.startsWith(ROOT) ? href.slice(ROOT.length) || "/" : href;
}
