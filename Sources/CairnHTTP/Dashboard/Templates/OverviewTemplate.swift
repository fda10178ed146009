/// The overview page (``OverviewModel``): counts by status, activity, latencies, queues, schedules, the workflows
/// the engine runs, and the latest started.
enum OverviewTemplate {
    static let text = #"""
        {{> header}}
        <h1>Overview</h1>
        <section class="cards statuses" aria-label="Workflows by status">
          {{#statuses}}
          <a class="card status-card status-{{status}}" href="{{href}}" data-status="{{status}}">
            <span class="count">{{count}}</span><span class="label">{{status}}</span>
          </a>
          {{/statuses}}
        </section>
        <p class="muted">{{total}} workflows · last event recorded: LSN {{lastRecorded}}</p>

        <div class="columns">
          <section class="panel">
            <h2>Activity</h2>
            <table class="grid compact">
              <tbody>
              {{#activity}}<tr><th>{{label}}</th><td class="num">{{count}}</td><td class="muted">{{hint}}</td></tr>{{/activity}}
              </tbody>
            </table>
          </section>
          <section class="panel">
            <h2>Latency</h2>
            <table class="grid compact latency">
              <thead><tr><th></th><th class="num">count</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th></tr></thead>
              <tbody>
              {{#latencies}}<tr><th>{{name}}</th><td class="num">{{count}}</td><td class="num">{{p50}}</td><td class="num">{{p90}}</td><td class="num">{{p99}}</td></tr>{{/latencies}}
              </tbody>
            </table>
          </section>
          <section class="panel">
            <h2>Registered workflows</h2>
            <ul class="tags">
              {{#registered}}<li><a href="{{href}}">{{name}}</a></li>{{/registered}}
              {{^registered}}<li class="muted">none</li>{{/registered}}
            </ul>
          </section>
        </div>

        <section class="panel">
          <h2>Queues</h2>
          {{#hasQueues}}
          <table class="grid">
            <thead><tr><th>Queue</th><th class="num">waiting</th><th class="num">delayed</th><th class="num">running</th><th>limits</th></tr></thead>
            <tbody>
            {{#queues}}<tr><td>{{name}}</td><td class="num">{{waiting}}</td><td class="num">{{delayed}}</td><td class="num">{{running}}</td><td>{{limits}}</td></tr>{{/queues}}
            </tbody>
          </table>
          {{/hasQueues}}
          {{^queues}}<p class="muted">No queues.</p>{{/queues}}
        </section>

        <section class="panel">
          <h2>Schedules</h2>
          {{#hasSchedules}}
          <table class="grid">
            <thead><tr><th>Schedule</th><th>Cron</th><th>Workflow</th><th>State</th><th>Next tick</th><th>Last tick</th><th>Last workflow</th></tr></thead>
            <tbody>
            {{#schedules}}<tr><td>{{name}}</td><td><code>{{cron}}</code> <span class="muted">{{timeZone}}</span></td><td>{{workflow}}</td><td>{{state}}</td><td class="time">{{nextTick}}</td><td class="time">{{lastTick}}</td><td>{{#lastWorkflow}}<a href="{{href}}">{{id}}</a>{{/lastWorkflow}}</td></tr>{{/schedules}}
            </tbody>
          </table>
          {{/hasSchedules}}
          {{^schedules}}<p class="muted">No schedules.</p>{{/schedules}}
        </section>

        <section class="panel">
          <h2>Latest workflows <a class="more" href="/workflows">all workflows →</a></h2>
          {{> workflowRows}}
        </section>
        {{> footer}}
        """#
}
