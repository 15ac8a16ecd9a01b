// Starts TaskForge's GraphiQL page. Everything it loads comes from this server.
(function () {
  "use strict";

  var page = new URL(window.location.href);
  var url = page.origin + page.pathname;
  var params = page.searchParams;

  var DEFAULT_QUERY = [
    "# TaskForge GraphiQL. Put your API key (or a login token) in the",
    "# Authorization header below, then run this with Ctrl-Enter.",
    "",
    "{",
    "  viewer {",
    "    organization {",
    "      name",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
  var DEFAULT_HEADERS = JSON.stringify({ Authorization: "Bearer tf_..." }, null, 2);

  // HTTP for queries and mutations, graphql-transport-ws for subscriptions; the
  // headers editor's values go in the WebSocket's connection_init payload.
  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: url.replace(/^http/, "ws"),
  });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  // ?q= and ?variables= share an operation by link; headers never go in the URL
  function remember(name, value) {
    if (value) {
      params.set(name, value);
    } else {
      params.delete(name);
    }
    var search = params.toString();
    history.replaceState(null, "", page.pathname + (search ? "?" + search : ""));
  }

  function App() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      query: params.get("q") || undefined,
      variables: params.get("variables") || undefined,
      onEditQuery: function (value) {
        remember("q", value);
      },
      onEditVariables: function (value) {
        remember("variables", value);
      },
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
