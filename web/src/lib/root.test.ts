import { readRoot } from "./root";
import { websocketUrl } from "./client";

function page(html: string): Document {
  return new DOMParser().parseFromString(html, "text/html");
}

describe("readRoot", () => {
  it("is empty when the page names no mount path (the dev server, or the origin's root)", () => {
    expect(readRoot(page("<head></head>"))).toBe("");
    expect(readRoot(page('<head><meta name="taskforge-root" content=""></head>'))).toBe("");
  });

  it("is the path the server writes, without a trailing slash", () => {
    expect(readRoot(page('<head><meta name="taskforge-root" content="/tf"></head>'))).toBe("/tf");
    expect(readRoot(page('<head><meta name="taskforge-root" content="/a/b/"></head>'))).toBe("/a/b");
  });
});

describe("websocketUrl", () => {
  it("is the GraphQL path on the page's host, wss: on an https: page", () => {
    expect(websocketUrl({ protocol: "https:", host: "x.test" }, "/tf/graphql")).toBe("wss://x.test/tf/graphql");
    expect(websocketUrl({ protocol: "http:", host: "x.test:8000" }, "/graphql")).toBe("ws://x.test:8000/graphql");
  });
});
