/// What every page shares: the document's head and navigation bar, its end, and the partials for a payload and
/// for a table of workflows.
enum LayoutTemplate {
    /// The head (the stylesheet and the page's script, both from this server) and the navigation bar.
    static let header = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Cairn</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/static/dashboard.css">
        <script src="{{script}}" defer></script>
        </head>
        <body>
        <header class="topbar">
          <a class="brand" href="/"><span class="logo" aria-hidden="true"></span>Cairn</a>
          <nav>
            <a href="/"{{#tab_overview}} class="active"{{/tab_overview}}>Overview</a>
            <a href="/workflows"{{#tab_workflows}} class="active"{{/tab_workflows}}>Workflows</a>
          </nav>
          <form class="jump" method="get" action="/workflows" role="search">
            <input type="search" name="q" placeholder="Find a workflow by ID" aria-label="Find a workflow by ID">
          </form>
        </header>
        <main>
        """#

    /// The end of the page.
    static let footer = #"""
        </main>
        <footer class="foot">Cairn durable workflows · times in UTC</footer>
        </body>
        </html>
        """#

    /// A payload (in its section's context): its preview, expandable to the whole text when cut.
    static let payload = #"""
        <div class="payload">{{#full}}<details><summary><code>{{preview}}</code></summary><pre>{{full}}</pre></details>{{/full}}{{^full}}<code>{{preview}}</code>{{/full}}<span class="size">{{bytes}} B</span></div>
        """#

    /// A table of ``WorkflowRow``s (the context's `rows`).
    static let workflowRows = #"""
        <table class="grid workflows">
          <thead><tr><th>Workflow</th><th>Name</th><th>Status</th><th>Started</th><th>Updated</th></tr></thead>
          <tbody>
          {{#rows}}
            <tr>
              <td class="id"><a href="{{href}}">{{id}}</a>{{#parent}}<div class="sub">child of <a href="{{href}}">{{id}}</a></div>{{/parent}}</td>
              <td>{{name}}</td>
              <td><span class="badge status-{{status}}">{{status}}</span>{{#problem}}<div class="sub problem">{{problem}}</div>{{/problem}}</td>
              <td class="time">{{started}}</td>
              <td class="time">{{updated}}</td>
            </tr>
          {{/rows}}
          </tbody>
        </table>
        """#
}
