/// The workflow list (``WorkflowListModel``): the filter form, a page of workflows, and the links to page on.
enum WorkflowListTemplate {
    static let text = #"""
        {{> header}}
        <h1>Workflows</h1>
        <form class="filters" method="get" action="/workflows">
          <label>Status
            <select name="status">
              <option value="">any</option>
              {{#statusOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statusOptions}}
            </select>
          </label>
          <label>Name
            <select name="name">
              <option value="">any</option>
              {{#nameOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/nameOptions}}
            </select>
          </label>
          <label>Started since (UTC)
            <input type="text" name="since" value="{{since}}" placeholder="2026-12-07T21:00">
          </label>
          <label>ID contains
            <input type="search" name="q" value="{{q}}" placeholder="order-1">
          </label>
          <button type="submit">Filter</button>
          {{#filtered}}<a class="button secondary" href="/workflows">Clear</a>{{/filtered}}
        </form>
        <p class="muted" id="result-count">{{count}} shown{{#filtered}} (filtered){{/filtered}}</p>
        {{#empty}}<p class="empty">No workflow matches.</p>{{/empty}}
        {{^empty}}{{> workflowRows}}{{/empty}}
        <nav class="pager">
          {{#firstHref}}<a class="button secondary" href="{{firstHref}}">← First page</a>{{/firstHref}}
          {{#nextHref}}<a class="button" href="{{nextHref}}" rel="next">Next page →</a>{{/nextHref}}
        </nav>
        {{> footer}}
        """#
}
